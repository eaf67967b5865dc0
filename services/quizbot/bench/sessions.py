"""Synthetic quizzes and sessions for the finish and clock benchmarks.

Rows are made by the database itself (``generate_series``), so seeding a
session with 10,000 players and 100,000 answers takes one statement per table
instead of a round trip per row. ``setseed`` makes the answers the same on
every run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Mode

OPTIONS = 4
FIRST_PLAYER = 1_000_000
GROUP_CHAT = -1_001_000_000_000


def synthetic_quiz(questions: int, *, time_limit_s: int = 20, slug: str = "bench-finish") -> Quiz:
    """A quiz of ``questions`` four-option questions; question ``p``'s answer is option ``p % 4``."""
    return Quiz(
        slug=slug,
        title=f"Benchmark quiz ({questions} questions)",
        description="",
        questions=tuple(
            Question(
                text=f"Question {p + 1}",
                options=tuple(f"Option {chr(65 + o)}" for o in range(OPTIONS)),
                correct=frozenset({p % OPTIONS}),
                explanation=None,
                time_limit_s=time_limit_s,
            )
            for p in range(questions)
        ),
    )


_SESSION = sa.text(
    """
    INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, position, question_count,
                          opened_at, deadline, time_limit_ms, participant_count, started_at,
                          last_activity_at)
    VALUES (:quiz_id, CAST(:mode AS session_mode), CAST(:status AS session_status), :chat_id,
            :host_id, :position, :questions, :opened_at, :deadline, :limit_ms, :players,
            :started_at, :now)
    RETURNING id
    """
)
_PLAYERS = sa.text(
    """
    INSERT INTO players (id, first_name)
    SELECT :first + g, 'Player ' || g FROM generate_series(0, :players - 1) AS g
    ON CONFLICT DO NOTHING
    """
)
_PARTICIPANTS = sa.text(
    """
    INSERT INTO participants (session_id, player_id, chat_id)
    SELECT :session_id, :first + g, CASE WHEN :group_mode THEN :chat_id ELSE :first + g END
    FROM generate_series(0, :players - 1) AS g
    """
)
# Each player answers each question with probability :share, a random option,
# after a random share of the time limit.
_ANSWERS = sa.text(
    """
    INSERT INTO answers (session_id, position, player_id, option, correct, elapsed_ms)
    SELECT :session_id, a.position, a.player_id, a.option, a.option = a.position % :options,
           a.elapsed_ms
    FROM (
        SELECT pos AS position, :first + g AS player_id,
               floor(random() * :options)::int AS option,
               floor(random() * :limit_ms)::int AS elapsed_ms,
               random() AS draw
        FROM generate_series(0, :players - 1) AS g CROSS JOIN generate_series(0, :questions - 1) AS pos
    ) a
    WHERE a.draw < :share
    """
)


def seed_played_session(
    conn: Connection,
    quiz: Quiz,
    quiz_id: int,
    players: int,
    now: datetime,
    *,
    mode: Mode = Mode.GROUP,
    share: float = 0.9,
    seed: float = 0.42,
) -> int:
    """A session whose last question's reveal pause ends at ``now``: the next step finishes it.

    ``players`` participants answered each question with probability ``share``.
    """
    questions = len(quiz.questions)
    limit_ms = quiz.questions[-1].time_limit_ms
    group = mode is Mode.GROUP
    session_id = int(
        conn.execute(
            _SESSION,
            {
                "quiz_id": quiz_id,
                "mode": mode.value,
                "status": "reveal",
                "chat_id": GROUP_CHAT if group else FIRST_PLAYER,
                "host_id": FIRST_PLAYER,
                "position": questions - 1,
                "questions": questions,
                "opened_at": now - timedelta(milliseconds=limit_ms + 3000),
                "deadline": now - timedelta(milliseconds=1),
                "limit_ms": limit_ms,
                "players": players,
                "started_at": now - timedelta(minutes=10),
                "now": now,
            },
        ).scalar_one()
    )
    common = {"session_id": session_id, "first": FIRST_PLAYER, "players": players}
    conn.execute(_PLAYERS, common)
    conn.execute(_PARTICIPANTS, {**common, "group_mode": group, "chat_id": GROUP_CHAT})
    conn.execute(sa.select(sa.func.setseed(seed)))
    conn.execute(
        _ANSWERS,
        {
            **common,
            "questions": questions,
            "options": OPTIONS,
            "limit_ms": limit_ms,
            "share": share,
        },
    )
    return session_id


_DUE = sa.text(
    """
    INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, position, question_count,
                          opened_at, deadline, time_limit_ms, participant_count, started_at,
                          last_activity_at)
    SELECT :quiz_id, 'group', 'question', :chat_id - n, :host_id, :position, :questions,
           d - make_interval(secs => :limit_s), d, :limit_s * 1000, 0, :now, :now
    FROM unnest(CAST(:deadlines AS timestamptz[])) WITH ORDINALITY AS t(d, n)
    RETURNING id
    """
)


def seed_open_questions(
    conn: Connection, quiz: Quiz, quiz_id: int, deadlines: list[datetime], now: datetime
) -> list[int]:
    """Group sessions with their last question open, one closing at each of ``deadlines``."""
    rows = conn.execute(
        _DUE,
        {
            "quiz_id": quiz_id,
            "chat_id": GROUP_CHAT,
            "host_id": FIRST_PLAYER,
            "position": len(quiz.questions) - 1,
            "questions": len(quiz.questions),
            "limit_s": quiz.questions[-1].time_limit_s,
            "deadlines": deadlines,
            "now": now,
        },
    )
    return [int(row.id) for row in rows]
