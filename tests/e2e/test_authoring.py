"""The whole authoring round under supervisord.

A simulated author makes a 5-question quiz with /newquiz, as a person would in
Telegram (typing, pressing the wizard's buttons), while the writer and the web
tier are restarted in the middle of the conversation; 200 simulated players
then play it in a group; the author reads /stats, and each of its numbers
equals, to the digits shown, a computation made here from the swarm's answers.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
import sqlalchemy as sa

from quizbot.sim.api.updates import FIRST_USER_ID
from quizbot.sim.users.client import SimClient, User
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import load_quiz_file
from tests.conftest import PgServer
from tests.e2e.conftest import _stack, running, set_webhook
from tests.e2e.games import (
    answer_times,
    assert_every_answer_counted,
    expected_results,
    swarm_report,
)

# The quiz the author types, as a file: the swarm answers from it (--answers).
AUTHORED = """
title: E2E authored
slug: e2e-authored
questions:
  - question: Two plus two?
    options: ["3", "4", "5"]
    correct: 2
    explanation: Basic sums.
    time_limit: 20
  - question: The largest planet?
    options: [Mars, Jupiter, Venus, Mercury]
    correct: 2
    time_limit: 15
  - question: Water boils at sea level at (°C)
    options: ["90", "100", "110"]
    correct: 2
    time_limit: 30
  - question: How many continents?
    options: ["5", "6", "7"]
    correct: 3
    explanation: Counting Antarctica.
    time_limit: 20
  - question: Which are prime?
    options: ["4", "7", "9", "11"]
    correct: [2, 4]
    time_limit: 20
"""
GAME = LiveOptions(
    players=200, mode="group", quiz="e2e-authored", think_min_s=0.2, think_max_s=1.5, seed=7
)
STEP_TIMEOUT_S = 60  # one wizard reply; a restarted web tier takes a few seconds to answer


@pytest.fixture
def quiz_file(tmp_path: Path) -> Path:
    path = tmp_path / "e2e-authored.yaml"
    path.write_text(AUTHORED)
    return path


@pytest.fixture
def stack(tmp_path: Path, quiz_file: Path, pg_server: PgServer) -> Iterator[LocalStack]:
    # A scripted author types far faster than a person: the per-user wizard rate
    # (tested through the webhook in tests/integration) would only slow the test.
    fast = {"WIZARD_MESSAGES_PER_MIN": "600"}
    with running(_stack(tmp_path, GAME, quiz_file, pg_server, fast)) as started:
        set_webhook(started)
        yield started


class Author:
    """A scripted user who talks to the bot and waits for each reply."""

    def __init__(self, user: User) -> None:
        self.user = user

    def step(self, act: Callable[[User], Any], expect: str) -> dict[str, Any]:
        """Do ``act``, then wait for the bot's next message; it must contain ``expect``."""
        before = len(self.user.bot_messages())
        act(self.user)
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while len(said := self.user.bot_messages()) <= before:
            assert time.monotonic() < deadline, f"no reply within {STEP_TIMEOUT_S} s: {expect}"
            time.sleep(0.1)
        assert len(said) == before + 1, [m.get("text") for m in said[before:]]
        reply: dict[str, Any] = said[-1]
        assert expect in reply.get("text", ""), (expect, reply.get("text"))
        return reply

    def type(self, text: str, expect: str) -> dict[str, Any]:
        return self.step(lambda user: user.send(text), expect)

    def press(self, message: dict[str, Any], data: str, expect: str) -> dict[str, Any]:
        return self.step(lambda user: user.press(message, data=data), expect)


def make_question(
    author: Author,
    text: str,
    options: list[str],
    right: list[int],
    explanation: str | None,
    time: str,
) -> None:
    """One question through the wizard; options in one message when there are three."""
    prompt = author.type(text, "Send the options")
    if len(options) == 3:
        prompt = author.type("\n".join(options), "Send the options")
    else:
        for option in options:
            prompt = author.type(option, "Send the options")
    prompt = author.press(prompt, "w:end", "Press the right option")
    for index in right:
        prompt = author.press(prompt, f"w:c:{index}", "Press the right option")
    prompt = author.press(prompt, "w:ok", "Send an explanation")
    if explanation is None:
        prompt = author.press(prompt, "w:skip", "Time to answer?")
    else:
        prompt = author.type(explanation, "Time to answer?")
    if time.startswith("w:"):
        author.press(prompt, time, "added")
    else:
        author.type(time, "added")


def restart(stack: LocalStack, program: str) -> None:
    done = stack.ctl("restart", program)
    assert "started" in done.stdout, done.stdout + stack.tail_logs()


def test_an_author_makes_a_quiz_across_restarts_200_play_it_and_stats_match(
    stack: LocalStack, quiz_file: Path
) -> None:
    with SimClient(stack.sim_url, timeout=15) as sim:
        # The author hosts the group game too (the swarm's first player, who sends
        # /live): a private quiz is found by its slug by its owner alone.
        author = Author(sim.user("Author", id=FIRST_USER_ID, language_code="en"))
        author.type("/newquiz", "A new quiz")
        author.type("E2E authored", "Question 1: send its text.")
        make_question(author, "Two plus two?", ["3", "4", "5"], [1], "Basic sums.", "w:t:20")
        make_question(
            author, "The largest planet?", ["Mars", "Jupiter", "Venus", "Mercury"], [1], None, "15"
        )
        # Both programs go away mid-conversation; the draft is in PostgreSQL.
        restart(stack, "quizbot:writer")
        restart(stack, "quizbot:web")
        make_question(
            author, "Water boils at sea level at (°C)", ["90", "100", "110"], [1], None, "w:t:30"
        )
        make_question(
            author, "How many continents?", ["5", "6", "7"], [2], "Counting Antarctica.", "w:t:20"
        )
        make_question(author, "Which are prime?", ["4", "7", "9", "11"], [1, 3], None, "w:t:20")
        shuffle = author.type("/done", "Shuffle the options")
        author.press(shuffle, "w:sh:1", "/play e2e-authored")

        stored = stored_quiz(stack, author.user.id)
        typed = replace(load_quiz_file(quiz_file), shuffle=True)
        assert stored == (typed.content_hash(), "private", True)

        report = play_live(stack, GAME)
        assert_every_answer_counted(report, GAME.players)
        swarm = swarm_report(stack)

        stats = author.type("/stats e2e-authored", "Plays: 1 · Players: 200")["text"]
    assert_stats_equal(stats, independent(stack, swarm, quiz_file))


def stored_quiz(stack: LocalStack, owner: int) -> tuple[str, str, bool]:
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT content_hash, visibility::text, shuffle FROM quizzes"
                " WHERE slug = 'e2e-authored' AND owner_id = :o"
            ),
            {"o": owner},
        ).one()
    engine.dispose()
    return (row.content_hash, row.visibility, row.shuffle)


def independent(stack: LocalStack, swarm: dict[str, Any], quiz_file: Path) -> dict[str, Any]:
    """The figures from the swarm's own answers and the quiz file; the answer times, measured
    by the web tier on arrival, from the database (as in tests/e2e/games.py)."""
    quiz = load_quiz_file(quiz_file)
    results = expected_results(stack, swarm, quiz_file)
    elapsed = answer_times(stack, swarm["session_id"])
    last = len(quiz.questions) - 1
    questions = []
    for position, question in enumerate(quiz.questions):
        given = [a for a in swarm["answers"] if a["position"] == position]
        wrong = Counter(a["option"] for a in given if not question.is_correct(a["option"]))
        top = min(wrong, key=lambda o: (-wrong[o], o)) if wrong else None
        questions.append(
            {
                "correct": sum(question.is_correct(a["option"]) for a in given) / len(given),
                "seconds": mean(elapsed[(a["player_id"], position)] for a in given) / 1000,
                "wrong": None if top is None else (question.options[top], wrong[top]),
            }
        )
    finishers = {a["player_id"] for a in swarm["answers"] if a["position"] == last}
    return {
        "players": len(results),
        "completion": len(finishers) / len(results),
        "average": mean(r.score for r in results.values()),
        "questions": questions,
    }


LINE = re.compile(
    r"^(\d+)\. .*: ✅ (\d+)% · ⏱ ([\d.]+) s(?: · most chosen wrong: (.*) \((\d+)\))?$"
)


def assert_stats_equal(text: str, truth: dict[str, Any]) -> None:
    """Every number of the /stats reply equals ``truth`` to the digits it shows."""
    lines = text.splitlines()
    assert lines[1] == f"Plays: 1 · Players: {truth['players']}"
    head = re.fullmatch(r"Completed: (\d+)% · Average score: (\d+)", lines[2])
    assert head is not None, lines[2]
    assert abs(int(head[1]) - truth["completion"] * 100) <= 0.5 + 1e-9
    assert abs(int(head[2]) - truth["average"]) <= 0.5 + 1e-9
    shown = [m for line in lines[3:] if (m := LINE.match(line))]
    assert len(shown) == len(truth["questions"]), lines
    for match, q in zip(shown, truth["questions"], strict=True):
        assert abs(int(match[2]) - q["correct"] * 100) <= 0.5 + 1e-9, (match[0], q)
        assert abs(float(match[3]) - q["seconds"]) <= 0.05 + 1e-9, (match[0], q)
        assert (None if match[4] is None else (match[4], int(match[5]))) == q["wrong"]
