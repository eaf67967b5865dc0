"""Switching languages under supervisord: every text the bot writes itself follows.

The whole stack (web, sender, writer, the fake Telegram) runs from the real
config files. Scripted users of the simulator play as people do: a player
plays a solo quiz, switches to Russian with /language and plays again; a
group's admin switches the group to Spanish and hosts a live game. Every text
the bot wrote in each phase, as the simulator's journal recorded it (messages,
edits, buttons, toasts), is compared with the catalogs: it is made of the
phase's language and holds no sentence of another.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from quizbot.locales import DIRECTORY, DOMAIN
from quizbot.settings import load_settings
from quizbot.sim.client import SimClient, User
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import import_quiz, load_quiz_file
from tests.conftest import PgServer
from tests.e2e.conftest import set_webhook

QUIZ = """
title: Lang mini
slug: lang-mini
time_limit: 5
questions:
  - question: Two plus two?
    options: ["3", "4", "5"]
    correct: 2
    explanation: Basic sums.
  - question: The largest planet?
    options: [Mars, Jupiter, Venus]
    correct: 2
"""
# The quiz's own words are content, not the bot's: they are left out of the comparison.
CONTENT = ("Lang mini", "Two plus two?", "Basic sums.", "The largest planet?", "Jupiter", "Mars")
ENV = {"REVEAL_PAUSE_S": "1", "PER_GROUP_PER_MIN": "600"}
SIM_ARGS = "--group-per-min 600"
WAIT_S = 60.0  # a loaded 2-core machine plays a step in seconds; a broken one never does


def _pieces(text: str) -> list[str]:
    """The literal runs of a message between its `{fields}` and tags, the words a reader sees."""
    runs = [literal for literal, _, _, _ in string.Formatter().parse(text)]
    words = [w.strip(" .,:;!?·—–()…\n") for r in runs for w in re.split(r"<[^>]+>|\n", r)]
    return [w for w in words if sum(c.isalpha() for c in w) >= 4]


def _catalog(language: str) -> set[str]:
    """Every piece of every message of `language` (English: the msgids)."""
    path = DIRECTORY / (
        f"{DOMAIN}.pot" if language == "en" else f"{language}/LC_MESSAGES/{DOMAIN}.po"
    )
    with path.open("rb") as f:
        catalog = read_po(f)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        texts = message.id if language == "en" else message.string
        for text in (texts,) if isinstance(texts, str) else texts:
            pieces.update(_pieces(text))
    return pieces


def _bot_texts(calls: list[dict[str, Any]]) -> list[str]:
    """What the bot wrote itself in these journal entries: texts, button labels, toasts."""
    texts: list[str] = []
    for call in calls:
        params = call["params"]
        if call["method"] in ("sendMessage", "editMessageText"):
            texts.append(params["text"])
        if call["method"] == "answerCallbackQuery" and params.get("text"):
            texts.append(params["text"])
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
            continue
        for row in markup.get("inline_keyboard", []):
            texts += [
                b["text"]
                for b in row
                if "callback_data" not in b or not b["callback_data"].startswith(("a:", "l:"))
            ]
    return texts


def _assert_spoken_in(language: str, texts: list[str]) -> None:
    """Each text holds a piece of `language`'s catalog and no piece found only in another's."""
    own = _catalog(language)
    others = (
        set().union(*(_catalog(other) for other in ("en", "es", "ru") if other != language)) - own
    )
    assert texts
    for text in texts:
        visible = text
        for content in CONTENT:
            visible = visible.replace(content, "")
        assert any(piece in visible for piece in own), f"not {language}: {text!r}"
        foreign = [piece for piece in others if piece in visible]
        assert not foreign, f"{foreign} in a {language} text: {text!r}"


class Journal:
    """The simulator's journal of the bot's calls, read from a point on."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.mark = 0

    def read(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        while True:
            page = httpx.get(f"{self.url}/sim/calls", params={"since": self.mark}).json()
            calls += page["calls"]
            if not page["calls"]:
                return calls
            self.mark = page["next"]

    def phase(self) -> None:
        """Start a new phase: what was written so far is left behind."""
        self.read()


def _wait(found: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.1)
    raise TimeoutError(f"within {WAIT_S:g} s: {what}")


def _newest(user: User, chat_id: int | None, test: Callable[[dict[str, Any]], bool]) -> Any:
    return next((m for m in reversed(user.bot_messages(chat_id)) if test(m)), None)


def _buttons(message: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b for row in rows for b in row if b.get("callback_data", "").startswith(prefix)]


@pytest.fixture
def stack(tmp_path: Path, pg_server: PgServer) -> Iterator[LocalStack]:
    settings = load_settings(
        {"QUIZBOT_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": pg_server.admin_url}
    )
    running = LocalStack(settings, tmp_path / "run", env=ENV, sim_api_args=SIM_ARGS)
    running.start()
    try:
        quiz_file = tmp_path / "lang-mini.yaml"
        quiz_file.write_text(QUIZ)
        engine = sa.create_engine(running.direct_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            import_quiz(conn, load_quiz_file(quiz_file))
        engine.dispose()
        set_webhook(running)
        yield running
    finally:
        running.stop()


def _question(user: User, chat_id: int | None, first: bool) -> dict[str, Any] | None:
    """The open question (its answer buttons still on), the first one or the second."""
    return _newest(
        user, chat_id, lambda m: len(_buttons(m, "a:")) == 3 and ("Two" in m["text"]) == first
    )


def _revealed(user: User, message: dict[str, Any]) -> bool:
    """Whether the question `message` was closed (its answer buttons replaced)."""
    now = _newest(user, None, lambda m: m["message_id"] == message["message_id"])
    return now is not None and not _buttons(now, "a:")


def _replied(user: User, before: int) -> bool:
    return len(user.bot_messages()) > before


def _play_solo(user: User) -> None:
    """/help, /quizzes, /me, then a solo game to its results, pressing the right answers."""
    for command in ("/help", "/quizzes", "/me"):
        before = len(user.bot_messages())
        user.send(command)
        _wait(partial(_replied, user, before), f"a reply to {command}")
    user.send("/play lang-mini")
    for first in (True, False):
        question = _wait(partial(_question, user, None, first), "a question")
        user.press(question, data=_buttons(question, "a:")[1]["callback_data"])
        _wait(partial(_revealed, user, question), "the question revealed")
    results = _wait(lambda: _newest(user, None, lambda m: _buttons(m, "r:")), "the results")
    toasts = len(user.toasts())
    user.press(results, data=_buttons(results, "r:")[0]["callback_data"])
    _wait(lambda: len(user.toasts()) > toasts, "the My result toast")


def test_a_private_player_switches_to_russian(stack: LocalStack) -> None:
    journal = Journal(stack.sim_url)
    with SimClient(stack.sim_url) as sim:
        ana = sim.user("Ana", language_code="en")
        _play_solo(ana)
        _assert_spoken_in("en", _bot_texts(journal.read()))

        ana.send("/language")
        choice = _wait(
            lambda: _newest(ana, None, lambda m: _buttons(m, "l:")), "the language buttons"
        )
        ana.press(choice, data="l:ru")
        _wait(lambda: any("по-русски" in t["text"] for t in ana.toasts()), "the Russian toast")
        journal.phase()
        _play_solo(ana)
        texts = _bot_texts(journal.read())
    _assert_spoken_in("ru", texts)


def test_a_group_admin_switches_the_group_to_spanish(stack: LocalStack) -> None:
    journal = Journal(stack.sim_url)
    with SimClient(stack.sim_url) as sim:
        host = sim.user("Hostia", language_code="ru")  # the group's language, not the host's, rules
        guest = sim.user("Guest", language_code="en")
        group = sim.group("Quiz night", members=[host, guest], admins=[host])
        gid = group["id"]

        def choose() -> Any:
            # One /language at a time: each is answered before the next, so no reply
            # of the English phase is still on its way when the Spanish one starts.
            before = len(host.bot_messages(gid))
            host.send("/language", chat_id=gid)
            reply = _wait(lambda: host.bot_messages(gid)[before:], "a reply to /language")[-1]
            if _buttons(reply, "l:"):
                return reply
            time.sleep(1)
            return None

        choice = _wait(choose, "the group's language buttons")
        journal.phase()
        host.press(choice, data="l:es")
        _wait(lambda: any("español" in t["text"] for t in host.toasts()), "the Spanish toast")

        host.send("/live lang-mini", chat_id=gid)
        lobby = _wait(lambda: _newest(host, gid, lambda m: _buttons(m, "s:")), "the lobby")
        # Telegram may deliver concurrent presses in any order: each join is
        # answered before the start is pressed, or the start could find no player.
        for player in (guest, host):
            toasts = len(player.toasts())
            player.press(lobby, data=_buttons(lobby, "j:")[0]["callback_data"])
            _wait(lambda p=player, n=toasts: len(p.toasts()) > n, "the join's toast")
        host.press(lobby, data=_buttons(lobby, "s:")[0]["callback_data"])
        for first in (True, False):
            question = _wait(partial(_question, host, gid, first), "a group question")
            for player in (host, guest):
                player.press(question, data=_buttons(question, "a:")[1]["callback_data"])
        results = _wait(lambda: _newest(host, gid, lambda m: _buttons(m, "r:")), "the results")
        for player in (host, guest):
            player.press(results, data=_buttons(results, "r:")[0]["callback_data"])
        _wait(lambda: any("📊" in t["text"] for t in guest.toasts()), "the My result toast")
        texts = _bot_texts(journal.read())
    _assert_spoken_in("es", texts)
