"""Reading the leaderboards that ``/top`` and ``/me`` show.

They are cheap: the writer precomputes them at each finish (``store.results``),
and each query here reads the first rows of one index:

- per quiz: ``leaderboard_quiz`` by ``ix_leaderboard_quiz_top (quiz_id, best_score DESC,
  best_time_ms)``; ties keep the faster player first;
- per group chat: ``leaderboard_chat`` by ``ix_leaderboard_chat_top (chat_id, score_total DESC)``;
- global: ``players`` by ``ix_players_global_top (score_total DESC, id)``.

Ranks are competition ranks (1, 2, 2, 4) computed over the rows read, which is
exact for a top-N read since a row's rank depends only on the rows above it.
They are safe to run on a read replica.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.replies import PlayerStats, TopRow

_QUIZ_TOP = sa.text(
    """
    SELECT rank() OVER (ORDER BY t.best_score DESC, t.best_time_ms) AS rank,
           t.player_id, t.best_score AS score, NULLIF(p.first_name, '') AS first_name, p.username
    FROM (SELECT player_id, best_score, best_time_ms FROM leaderboard_quiz
          WHERE quiz_id = :quiz_id
          ORDER BY best_score DESC, best_time_ms, player_id LIMIT :limit) t
    LEFT JOIN players p ON p.id = t.player_id
    ORDER BY t.best_score DESC, t.best_time_ms, t.player_id
    """
)
_QUIZ_COUNT = sa.text("SELECT count(*) FROM leaderboard_quiz WHERE quiz_id = :quiz_id")

_CHAT_TOP = sa.text(
    """
    SELECT rank() OVER (ORDER BY t.score_total DESC) AS rank,
           t.player_id, t.score_total AS score, NULLIF(p.first_name, '') AS first_name, p.username
    FROM (SELECT player_id, score_total FROM leaderboard_chat
          WHERE chat_id = :chat_id
          ORDER BY score_total DESC, player_id LIMIT :limit) t
    LEFT JOIN players p ON p.id = t.player_id
    ORDER BY t.score_total DESC, t.player_id
    """
)
_CHAT_COUNT = sa.text("SELECT count(*) FROM leaderboard_chat WHERE chat_id = :chat_id")

_GLOBAL_TOP = sa.text(
    """
    SELECT rank() OVER (ORDER BY score_total DESC) AS rank,
           id AS player_id, score_total AS score, NULLIF(first_name, '') AS first_name, username
    FROM players WHERE score_total > 0
    ORDER BY score_total DESC, id LIMIT :limit
    """
)
_GLOBAL_COUNT = sa.text("SELECT count(*) FROM players WHERE score_total > 0")

_PLAYER_STATS = sa.text(
    """
    SELECT games_played, wins, score_total, answers_correct, answers_total
    FROM players WHERE id = :player_id
    """
)


@dataclass(frozen=True)
class Leaderboard:
    """The first rows of a leaderboard and how many players it has in all."""

    rows: list[TopRow]
    total: int


def _name(row: sa.Row[tuple[object, ...]]) -> str:
    first_name = row.first_name
    if first_name:
        return str(first_name)
    return f"@{row.username}" if row.username else f"Player {row.player_id}"


def _board(
    conn: Connection, top: sa.TextClause, count: sa.TextClause, **params: int
) -> Leaderboard:
    rows = [
        TopRow(rank=int(row.rank), name=_name(row), score=int(row.score))
        for row in conn.execute(top, params)
    ]
    key = {k: v for k, v in params.items() if k != "limit"}
    return Leaderboard(rows=rows, total=int(conn.scalar(count, key) or 0))


def quiz_top(conn: Connection, quiz_id: int, limit: int = 10) -> Leaderboard:
    """Best score per player on quiz ``quiz_id`` (any mode), best first; faster wins a tie."""
    return _board(conn, _QUIZ_TOP, _QUIZ_COUNT, quiz_id=quiz_id, limit=limit)


def chat_top(conn: Connection, chat_id: int, limit: int = 10) -> Leaderboard:
    """Total points per player over the group quizzes played in chat ``chat_id``."""
    return _board(conn, _CHAT_TOP, _CHAT_COUNT, chat_id=chat_id, limit=limit)


def global_top(conn: Connection, limit: int = 10) -> Leaderboard:
    """Lifetime points per player over every finished session, players with points only."""
    return _board(conn, _GLOBAL_TOP, _GLOBAL_COUNT, limit=limit)


def player_stats(conn: Connection, player_id: int) -> PlayerStats | None:
    """A player's lifetime numbers for ``/me``; ``None`` for a player never seen."""
    row = conn.execute(_PLAYER_STATS, {"player_id": player_id}).first()
    if row is None:
        return None
    return PlayerStats(
        games=row.games_played,
        wins=row.wins,
        total_score=row.score_total,
        correct=row.answers_correct,
        answered=row.answers_total,
    )
