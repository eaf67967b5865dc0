"""The bot's own texts in the player's language: the translator the renderers take.

Every text the bot writes itself (not the quiz content) is a gettext message:
renderers take a `Translator` (`gettext`/`ngettext`, e.g. a stdlib
`gettext.GNUTranslations` for one language, loaded by `quizbot.locales`) and
default to `ENGLISH`, the messages as written. Messages carry `str.format`
fields (`{count}`), filled after translation, so a translation may reorder them.
"""

from __future__ import annotations

import gettext
from typing import Protocol

DEFAULT = "en"
# The languages with a catalog, in the order /language offers them, with their own names.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "ru": "Русский"}


class Translator(Protocol):
    """One language's messages (what `gettext.NullTranslations` and its kin provide)."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str: ...


ENGLISH: Translator = gettext.NullTranslations()


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is used."""
    return message


def pick(language_code: str | None) -> str:
    """The supported language for Telegram's `language_code` (an IETF tag): `es-419` -> `es`.

    Anything without a catalog falls back to English.
    """
    if not language_code:
        return DEFAULT
    primary = language_code.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


def code(tr: Translator) -> str:
    """The language `tr` translates to (a compiled catalog's `Language` header), else English."""
    info = getattr(tr, "info", None)
    language = info().get("language") if callable(info) else None
    return language if language in LANGUAGES else DEFAULT


def count(tr: Translator, singular: str, plural: str, n: int) -> str:
    """`ngettext` with the count filled in: `count(tr, "{count} question", "{count} questions", 3)`."""
    return tr.ngettext(singular, plural, n).format(count=f"{n:,}")
