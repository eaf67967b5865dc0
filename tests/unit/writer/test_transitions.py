"""Which event a claimed session row calls for, and the deadline a refused request restores."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from quizbot.domain.events import Abandon, Deadline, Event, EveryoneAnswered, Start, Stop
from quizbot.domain.game import GameRules
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import QuestionStats
from quizbot.settings import load_settings
from quizbot.writer.sessions import SessionRow
from quizbot.writer.transitions import choose_event, natural_deadline, to_state

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)
RULES = GameRules(reveal_pause_s=3, lobby_timeout_s=600, abandon_after_s=900)
QUIZ = Quiz("q", "Quiz", "", (Question("Q?", ("a", "b"), frozenset({0}), None, 10),) * 2)
STATS = QuestionStats(answered=2, correct=1)

OPEN = SessionRow(
    id=1, quiz_id=1, mode="group", status="question", chat_id=-100, host_id=7, position=0,
    question_count=2, deadline=NOW + 5 * S, participant_count=3, answered_count=1,
    last_activity_at=NOW - 2 * S, pending_command=None, pending_by=None,
    created_at=NOW - 60 * S, opened_at=NOW - 5 * S, started_at=NOW - 5 * S, time_limit_ms=10_000,
)  # fmt: skip


def row(**changes: object) -> SessionRow:
    return dataclasses.replace(OPEN, **changes)  # type: ignore[arg-type]


def event_for(session: SessionRow) -> Event | None:
    state = to_state(session, QUIZ, natural_deadline(session, NOW, RULES))
    stats = STATS if state.status.value == "question" else None
    return choose_event(session, state, NOW, RULES, stats)


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        (row(), None),
        (row(pending_command="stop", pending_by=7, deadline=NOW), Stop(7, STATS)),
        (row(pending_command="start", pending_by=7, status="lobby", deadline=NOW), Start(7)),
        (row(answered_count=3), None),
        (row(answered_count=3, close_when_all_answered=True), EveryoneAnswered(STATS)),
        (row(answered_count=3, mode="private"), EveryoneAnswered(STATS)),
        (row(answered_count=3, pending_command="stop", pending_by=9), Stop(9, STATS)),
        (row(participant_count=0, answered_count=0), None),
        (row(deadline=NOW), Deadline(STATS)),
        (row(status="reveal", deadline=NOW - S), Deadline(None)),
        (row(status="lobby", deadline=NOW + S), None),
        (row(last_activity_at=NOW - 900 * S), Abandon(STATS)),
        (row(last_activity_at=NOW - 899 * S), None),
    ],
    ids=[
        "nothing-due",
        "stop-request",
        "start-request",
        "everyone-answered-in-a-group-waits-for-the-deadline",
        "everyone-answered-closes-a-group-by-the-hosts-choice",
        "everyone-answered-private",
        "a-request-comes-first",
        "no-participants-no-early-close",
        "question-deadline",
        "reveal-pause-over",
        "lobby-waiting",
        "idle-too-long",
        "idle-not-long-enough",
    ],
)
def test_a_claimed_row_calls_for_one_event(session: SessionRow, expected: Event | None) -> None:
    assert event_for(session) == expected


def test_without_a_request_the_deadline_is_the_rows() -> None:
    assert natural_deadline(row(deadline=NOW + 7 * S), NOW, RULES) == NOW + 7 * S


def test_a_request_made_due_now_gives_the_question_back_its_own_deadline() -> None:
    requested = row(pending_command="stop", pending_by=9, deadline=NOW - S)
    assert natural_deadline(requested, NOW, RULES) == NOW + 5 * S  # opened_at + 10 s


def test_a_request_made_due_now_gives_the_lobby_back_its_timeout() -> None:
    lobby = row(status="lobby", pending_command="start", pending_by=9, deadline=NOW - S)
    assert natural_deadline(lobby, NOW, RULES) == NOW - 60 * S + 600 * S


def test_a_request_during_a_reveal_keeps_the_pause_from_ending_in_the_past() -> None:
    reveal = row(status="reveal", pending_command="stop", pending_by=9, deadline=NOW - 2 * S)
    assert natural_deadline(reveal, NOW, RULES) == NOW


def test_game_rules_come_from_settings_in_whole_seconds() -> None:
    rules = load_settings(
        {"REVEAL_PAUSE_S": "2.4", "LOBBY_TIMEOUT_S": "60", "ABANDON_AFTER_S": "120",
         "POINTS_CORRECT": "10", "SPEED_BONUS": "5", "SEND_RATE_PER_S": "25"}
    ).game_rules()  # fmt: skip
    assert (rules.reveal_pause_s, rules.lobby_timeout_s, rules.abandon_after_s) == (2, 60, 120)
    assert (rules.scoring.points_correct, rules.scoring.speed_bonus) == (10, 5)
    assert rules.broadcast_rate_per_s == 25
