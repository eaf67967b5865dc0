"""One player's own results, read for the "📊 My result" and "How did I do?" toasts.

These reads answer a button press inside the webhook reply (no outbox row, no
Bot API call), so each is one small indexed query: the ``results`` and
``answers`` primary keys start with the session id.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.scoring import Ranked
from quizbot.store.results import ranked_row

# The player's row and the session's row count come from the results primary
# key (session_id, player_id): a probe and an index-only count.
_SESSION_RESULT = sa.text(
    """
    SELECT CAST(s.status AS text) AS status, s.question_count,
           (SELECT count(*) FROM results c WHERE c.session_id = s.id) AS total,
           r.player_id, r.score, r.correct, r.answered, r.total_time_ms, r.rank
    FROM sessions s
    LEFT JOIN results r ON r.session_id = s.id AND r.player_id = :player_id
    WHERE s.id = :session_id
    """
)

_QUESTION_ANSWER = sa.text(
    """
    SELECT s.quiz_id, CAST(s.status AS text) AS status, s.position AS session_position,
           a.option, a.elapsed_ms
    FROM sessions s
    LEFT JOIN answers a
           ON a.session_id = s.id AND a.position = :position AND a.player_id = :player_id
    WHERE s.id = :session_id
    """
)

_TERMINAL = ("finished", "stopped", "abandoned")


@dataclass(frozen=True, slots=True)
class SessionResult:
    """A player's final row in a session, once the session's results exist."""

    written: bool  # the session is over and its results are stored
    question_count: int
    total_players: int
    mine: Ranked | None  # None: the player has no result in this session


@dataclass(frozen=True, slots=True)
class QuestionAnswer:
    """A player's answer to one question of a session (option None: no answer)."""

    quiz_id: int
    revealed: bool  # the question is closed, so its answer may be told
    option: int | None
    elapsed_ms: int


def session_result(conn: Connection, session_id: int, player_id: int) -> SessionResult | None:
    """The player's results row in ``session_id``; ``None`` for an unknown session."""
    row = conn.execute(_SESSION_RESULT, {"session_id": session_id, "player_id": player_id}).first()
    if row is None:
        return None
    mine = ranked_row(row) if row.player_id is not None else None
    written = row.status in _TERMINAL and int(row.total) > 0
    return SessionResult(written, int(row.question_count), int(row.total), mine)


def question_answer(
    conn: Connection, session_id: int, position: int, player_id: int
) -> QuestionAnswer | None:
    """The player's answer to question ``position``; ``None`` for an unknown session."""
    row = conn.execute(
        _QUESTION_ANSWER, {"session_id": session_id, "position": position, "player_id": player_id}
    ).first()
    if row is None:
        return None
    still_open = row.status == "question" and row.session_position <= position
    revealed = row.status != "lobby" and row.session_position >= position and not still_open
    return QuestionAnswer(
        quiz_id=int(row.quiz_id),
        revealed=revealed,
        option=None if row.option is None else int(row.option),
        elapsed_ms=int(row.elapsed_ms or 0),
    )
