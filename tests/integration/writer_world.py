"""A small world for the writer's integration tests: a quiz, sessions, presses, a clock.

Sessions, joins, requests and button presses go through the web tier's own SQL
(``store.sessions_web``, ``store.answers``), so the writer is tested against the
rows it will really see. Time is explicit: the clock gets ``now`` from the test.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.game import GameRules
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Mode
from quizbot.store import answers, sessions_web
from quizbot.store.quizzes import import_quiz
from quizbot.writer.clock import Clock, utcnow
from quizbot.writer.transitions import Applied

RULES = GameRules(reveal_pause_s=3, solo_reveal_pause_s=1, lobby_timeout_s=600, abandon_after_s=900)

QUIZ = Quiz(
    slug="capitals",
    title="Capitals",
    description="",
    questions=(
        Question("Capital of France?", ("Berlin", "Paris", "Rome"), frozenset({1}), "Paris.", 10),
        Question("Capital of Italy?", ("Rome", "Milan"), frozenset({0}), None, 20),
        Question("Capital of Spain?", ("Lisbon", "Madrid", "Porto"), frozenset({1}), None, 15),
    ),
)
RIGHT = [1, 0, 1]  # the correct option of each question
WRONG = [0, 1, 0]


@dataclass
class World:
    """One test database with the quiz imported and a clock on it."""

    engine: Engine
    quiz: Quiz = QUIZ
    rules: GameRules = RULES
    quiz_id: int = 0
    clock: Clock = field(init=False)
    _updates: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        with self.engine.begin() as conn:
            self.quiz_id = import_quiz(conn, self.quiz).quiz_id
        self.clock = Clock(self.engine, self.rules)

    def solo(self, player: int) -> int:
        """/play: a solo session with its start request filed."""
        with self.engine.begin() as conn:
            sid, _ = sessions_web.create_session(
                conn, self.quiz_id, Mode.SOLO, player, player, lobby_s=self.rules.lobby_timeout_s
            )
        return sid

    def live(self, mode: Mode, host: int, chat: int) -> int:
        """/live: a lobby in ``chat``."""
        with self.engine.begin() as conn:
            sid, _ = sessions_web.create_session(
                conn, self.quiz_id, mode, chat, host, lobby_s=self.rules.lobby_timeout_s
            )
        return sid

    def join(self, sid: int, player: int, chat: int | None = None) -> None:
        with self.engine.begin() as conn:
            sessions_web.add_participant(conn, sid, player, chat if chat is not None else player)

    def request(self, sid: int, command: str, by: int) -> bool:
        with self.engine.begin() as conn:
            return sessions_web.file_request(conn, sid, command, by)

    def press(self, sid: int, position: int, player: int, option: int) -> bool:
        """A button press recorded by the web tier's group insert; True when accepted."""
        press = answers.AnswerIn(
            update_id=next(self._updates),
            session_id=sid,
            position=position,
            option=option,
            player_id=player,
            received_at=time.time(),
        )
        with self.engine.begin() as conn:
            return bool(answers.record_answers(conn, [press]).accepted)

    def put_answer(
        self, sid: int, position: int, player: int, option: int, elapsed_ms: int
    ) -> None:
        """A raw answers row, for tests that need exact answer times."""
        correct = self.quiz.questions[position].is_correct(option)
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO answers (session_id, position, player_id, option, correct,"
                    " elapsed_ms) VALUES (:s, :p, :u, :o, :c, :e)"
                ),
                {"s": sid, "p": position, "u": player, "o": option, "c": correct, "e": elapsed_ms},
            )

    def tick(self, now: datetime | None = None) -> list[Applied]:
        """Everything due at ``now`` (default: the wall clock)."""
        return self.clock.run_due(now or utcnow())

    def session(self, sid: int) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT * FROM sessions WHERE id = :s"), {"s": sid}).one()

    def messages(self, sid: int) -> list[Any]:
        """The session's outbox rows, in the order the sender sends them."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT chat_id, method, params, ref, edit_ref FROM outbox"
                    " WHERE session_id = :s ORDER BY id"
                ),
                {"s": sid},
            ).all()

    def results(self, sid: int) -> dict[int, Any]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM results WHERE session_id = :s"), {"s": sid}
            ).all()
        return {row.player_id: row for row in rows}

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.scalar(sa.text(sql), params)

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql), params)


def kinds(applied: list[Applied]) -> list[str]:
    """The kinds of a pass's transitions, in order."""
    return [a.kind for a in applied]
