"""The gettext catalogs of the bot's own texts, one translator per language, loaded once.

The catalogs live beside this module (`<lang>/LC_MESSAGES/quizbot.po`, compiled
to `.mo` by `make messages` and shipped as package data). A translator is
loaded on first use and cached for the life of the process, so the hot path
only does a dict lookup.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from quizbot.domain.language import DEFAULT, ENGLISH, LANGUAGES, Translator, pick

DOMAIN = "quizbot"
DIRECTORY = Path(__file__).resolve().parent


@cache
def translator(language: str) -> Translator:
    """The translator for a supported language code (`en`, `es`, `ru`); English otherwise.

    English is the source language: its messages are the msgids themselves.
    """
    if language == DEFAULT or language not in LANGUAGES:
        return ENGLISH
    # fallback=False: a missing compiled catalog is a packaging error, not English.
    return gettext.translation(DOMAIN, DIRECTORY, [language], fallback=False)


def for_code(language_code: str | None) -> Translator:
    """The translator for Telegram's `language_code` (falls back to English)."""
    return translator(pick(language_code))
