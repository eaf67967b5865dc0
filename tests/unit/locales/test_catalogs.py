"""The catalogs of the bot's own texts: complete, current, faithful to their placeholders.

Each check fails on a real defect a translator or a developer can make: a
message added to the code but not to a catalog, a translation that drops or
renames a `{field}` or an HTML tag, a compiled .mo older than its .po, or a
text that no longer fits Telegram's limits once translated.
"""

from __future__ import annotations

import gettext
import re
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from quizbot.domain import limits
from quizbot.domain.language import LANGUAGES
from quizbot.domain.menus import COMMAND_MAX, DESCRIPTION_MAX, Scope, menu
from quizbot.locales import DIRECTORY, DOMAIN, translator

SOURCES = DIRECTORY.parent
TRANSLATED = sorted(set(LANGUAGES) - {"en"})
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None, "count": (2, 3)}
TAG = re.compile(r"</?[a-z]+")


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@cache
def _extracted() -> frozenset[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(SOURCES), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _forms(
    message_id: str | tuple[str, ...], strings: str | tuple[str, ...]
) -> list[tuple[str, str]]:
    """(source, translation) pairs; every plural form answers the plural msgid."""
    if isinstance(message_id, str):
        assert isinstance(strings, str)
        return [(message_id, strings)]
    return [(message_id[1], form) for form in strings]


def test_the_template_is_current() -> None:
    template = _catalog(DIRECTORY / f"{DOMAIN}.pot")
    assert _extracted() == _ids(template), "run `make messages` and translate what is new"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    catalog = _catalog(DIRECTORY / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)
    assert _extracted() <= _ids(catalog), "messages missing from the catalog"
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, f"plural forms: {message.id!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_fields_and_tags(language: str) -> None:
    catalog = _catalog(DIRECTORY / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)
    for message in catalog:
        if not message.id:
            continue
        for source, translated in _forms(message.id, message.string):
            assert _fields(translated) == _fields(source), f"fields of {source!r}"
            assert sorted(TAG.findall(translated)) == sorted(TAG.findall(source)), source
            # every message is at most a toast's length; whole texts are checked rendered
            assert len(translated) <= limits.CALLBACK_ANSWER_TEXT_MAX, source


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    folder = DIRECTORY / language / "LC_MESSAGES"
    catalog = _catalog(folder / f"{DOMAIN}.po", language)
    with (folder / f"{DOMAIN}.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run `make messages`"
        else:
            for n in (1, 2, 5, 21):
                form = gettext.c2py(catalog.plural_expr)(n)  # the .po's own rule picks the form
                assert compiled.ngettext(*message.id, n) == message.string[form], (
                    "run `make messages`"
                )


def test_russian_plurals_follow_russian_grammar() -> None:
    tr = translator("ru")
    forms = {
        n: tr.ngettext("{count} player", "{count} players", n).format(count=n)
        for n in (1, 3, 5, 21, 22, 11)
    }
    assert forms == {
        1: "1 игрок",
        3: "3 игрока",
        5: "5 игроков",
        21: "21 игрок",
        22: "22 игрока",
        11: "11 игроков",
    }


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("scope", list(Scope))
def test_command_menus_fit_telegram(language: str, scope: Scope) -> None:
    for entry in menu(scope, translator(language)):
        assert re.fullmatch("[a-z0-9_]+", entry["command"])
        assert len(entry["command"]) <= COMMAND_MAX
        assert 1 <= len(entry["description"]) <= DESCRIPTION_MAX
