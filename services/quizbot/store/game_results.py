"""A finished game's results as its quiz's author exports them (CSV), and the games to
pick from.

Read-only. A game has results once the writer finished it (``results`` rows,
written in one commit with the session's end), so the list offers only
those; each read goes through the ``results`` primary key's session prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.results_csv import FinishedGame, ResultLine

# The latest games first; a session with no results row (nobody played) is left out.
_FINISHED = sa.text(
    """
    SELECT s.id, s.finished_at, count(*) AS players
    FROM sessions s JOIN results r ON r.session_id = s.id
    WHERE s.quiz_id = :quiz_id AND s.finished_at IS NOT NULL
    GROUP BY s.id
    ORDER BY s.finished_at DESC, s.id DESC
    LIMIT :limit
    """
)
_GAME = sa.text(
    """
    SELECT s.quiz_id, s.question_count, s.finished_at,
           (SELECT count(*) FROM results r WHERE r.session_id = s.id) AS players
    FROM sessions s WHERE s.id = :session_id AND s.finished_at IS NOT NULL
    """
)
_LINES = sa.text(
    """
    SELECT r.rank, r.player_id, coalesce(p.first_name, '') AS first_name, p.username,
           r.score, r.correct, r.answered, r.total_time_ms
    FROM results r LEFT JOIN players p ON p.id = r.player_id
    WHERE r.session_id = :session_id
    ORDER BY r.rank, r.player_id
    """
)


@dataclass(frozen=True, slots=True)
class GameResults:
    """One finished game: its quiz, its size and every player's final row."""

    quiz_id: int
    question_count: int
    game: FinishedGame
    lines: list[ResultLine]


def finished_games(conn: Connection, quiz_id: int, limit: int) -> list[FinishedGame]:
    """The quiz's latest ``limit`` games with results, the latest first."""
    rows = conn.execute(_FINISHED, {"quiz_id": quiz_id, "limit": limit})
    return [FinishedGame(row.id, row.finished_at, row.players) for row in rows]


def game_results(conn: Connection, session_id: int) -> GameResults | None:
    """A finished game's results; None for a game that is unknown or not finished."""
    head = conn.execute(_GAME, {"session_id": session_id}).first()
    if head is None or not head.players:
        return None
    lines = [ResultLine(*row) for row in conn.execute(_LINES, {"session_id": session_id})]
    game = FinishedGame(session_id, head.finished_at, head.players)
    return GameResults(head.quiz_id, head.question_count, game, lines)
