"""Finishing a session: results, ranks, stats and leaderboards in one transaction.

The old system committed once per player; here a finished quiz costs one commit
whatever its size. :func:`finish_session` runs in the caller's transaction (the
writer's transition); its statements are:

1. the guard, ``UPDATE sessions ... WHERE status is live RETURNING``: it moves the
   session to its terminal status and returns nothing when it already is one, so
   finishing twice writes nothing new;
2. one statement whose data-modifying CTEs compute every player's score from the
   raw answers (with ``scoring.points_sql``, the formula the domain uses) and
   write ``results``, ``question_stats``, players' lifetime stats and both
   leaderboards, and whose main query returns the top rows for the message;
3. two small ones around it: ``SET LOCAL work_mem`` and whether the host played
   (where the leaderboard goes in private mode).

Who gets a result: every participant (private and solo players who never answered
score 0) plus, in group mode, everyone who answered without pressing Join. A win
(``players.wins``) is rank 1 with points in a live game of two or more players.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.scoring import Ranked, ScoringRules, points_sql
from quizbot.domain.session import Mode, QuestionStats, Status

LIVE_STATUSES = ("lobby", "question", "reveal")

# The guard. The writer already holds the row lock (its claim took it), and the
# status predicate makes a second finish a no-op: no row, nothing written.
_GUARD = sa.text(
    """
    UPDATE sessions
    SET status = CAST(:reason AS session_status), finish_reason = :reason,
        finished_at = :now, deadline = NULL, pending_command = NULL, pending_by = NULL
    WHERE id = :session_id AND status IN ('lobby', 'question', 'reveal')
    RETURNING quiz_id, mode, chat_id, host_id, position, question_count
    """
)

_RESULTS_SQL = """
WITH limits AS (
    SELECT position, time_limit_s * 1000 AS limit_ms
    FROM questions WHERE quiz_id = :quiz_id
),
scored AS (
    -- answers by primary key prefix (session_id): one index range scan
    SELECT a.player_id, a.position, a.correct, a.elapsed_ms,
           {points} AS points
    FROM answers a JOIN limits q ON q.position = a.position
    WHERE a.session_id = :session_id
),
per_player AS (
    SELECT player_id, sum(points) AS score,
           count(*) FILTER (WHERE correct) AS correct, count(*) AS answered,
           sum(elapsed_ms) AS total_time_ms
    FROM scored GROUP BY player_id
),
totals AS (
    -- participants ∪ answerers: a group player who answered without Join counts,
    -- a participant who never answered scores 0
    SELECT COALESCE(pp.player_id, p.player_id) AS player_id,
           COALESCE(pp.score, 0)::int AS score,
           COALESCE(pp.correct, 0)::int AS correct,
           COALESCE(pp.answered, 0)::int AS answered,
           COALESCE(pp.total_time_ms, 0)::bigint AS total_time_ms
    FROM per_player pp
    FULL JOIN (SELECT player_id FROM participants WHERE session_id = :session_id) p
        ON p.player_id = pp.player_id
),
ranked AS MATERIALIZED (
    SELECT t.*,
           rank() OVER (ORDER BY t.score DESC, t.total_time_ms ASC)::int AS rank,
           count(*) OVER ()::int AS total
    FROM totals t
),
results_rows AS (
    INSERT INTO results (session_id, player_id, score, correct, answered, total_time_ms, rank)
    SELECT :session_id, player_id, score, correct, answered, total_time_ms, rank FROM ranked
),
stats_rows AS (
    INSERT INTO question_stats (session_id, position, answered, correct, mean_ms)
    SELECT :session_id, g.position, count(s.player_id), count(*) FILTER (WHERE s.correct),
           round(avg(s.elapsed_ms))::int
    FROM generate_series(0, :last_position) AS g(position)
    LEFT JOIN scored s ON s.position = g.position
    GROUP BY g.position
),
player_rows AS (
    -- lifetime stats; a player the web tier never stored gets a row here
    INSERT INTO players AS p (id, games_played, answers_total, answers_correct, score_total, wins)
    SELECT player_id, 1, answered, correct, score,
           CASE WHEN :live AND total > 1 AND rank = 1 AND score > 0 THEN 1 ELSE 0 END
    FROM ranked
    -- Lock existing rows in id order, like every other players upsert: two
    -- finishes (or a finish and the web tier's upsert) sharing players then
    -- cannot take their row locks in opposite orders and deadlock.
    ORDER BY player_id
    ON CONFLICT (id) DO UPDATE SET
        games_played = p.games_played + 1,
        answers_total = p.answers_total + EXCLUDED.answers_total,
        answers_correct = p.answers_correct + EXCLUDED.answers_correct,
        score_total = p.score_total + EXCLUDED.score_total,
        wins = p.wins + EXCLUDED.wins
),
quiz_board AS (
    -- best score per player per quiz; a faster equal score also replaces it
    INSERT INTO leaderboard_quiz AS lb (quiz_id, player_id, best_score, best_time_ms, session_id,
                                        achieved_at)
    SELECT :quiz_id, player_id, score, total_time_ms, :session_id, :now
    FROM ranked WHERE answered > 0
    ORDER BY player_id
    ON CONFLICT (quiz_id, player_id) DO UPDATE SET
        best_score = EXCLUDED.best_score, best_time_ms = EXCLUDED.best_time_ms,
        session_id = EXCLUDED.session_id, achieved_at = EXCLUDED.achieved_at
    WHERE EXCLUDED.best_score > lb.best_score
       OR (EXCLUDED.best_score = lb.best_score AND EXCLUDED.best_time_ms < lb.best_time_ms)
),
chat_board AS (
    INSERT INTO leaderboard_chat AS lc (chat_id, player_id, score_total, games)
    SELECT :chat_id, player_id, score, 1 FROM ranked WHERE :group_mode
    ORDER BY player_id
    ON CONFLICT (chat_id, player_id) DO UPDATE SET
        score_total = lc.score_total + EXCLUDED.score_total, games = lc.games + 1
)
SELECT r.player_id, r.score, r.correct, r.answered, r.total_time_ms, r.rank, r.total,
       NULLIF(pl.first_name, '') AS first_name, pl.username
FROM ranked r LEFT JOIN players pl ON pl.id = r.player_id
ORDER BY r.rank, r.player_id
LIMIT :top_n
"""

_WORK_MEM = sa.text("SET LOCAL work_mem = '64MB'")

_HOST_PLAYED = sa.text(
    "SELECT EXISTS (SELECT 1 FROM participants WHERE session_id = :session_id"
    " AND player_id = :host_id)"
)

# Closing a question: how it went, for the reveal. The answers primary key
# (session_id, position, player_id) makes this one index range scan.
_QUESTION_STATS = sa.text(
    """
    SELECT count(*) AS answered, count(*) FILTER (WHERE correct) AS correct
    FROM answers WHERE session_id = :session_id AND position = :position
    """
)


@functools.lru_cache(maxsize=8)
def _results_statement(rules: ScoringRules) -> sa.TextClause:
    points = points_sql("a.correct", "a.elapsed_ms", "q.limit_ms", rules)
    # points_sql validates its column names and embeds only integers from the rules.
    return sa.text(_RESULTS_SQL.format(points=points))


@dataclass(frozen=True)
class Finished:
    """What one finish wrote, and what the leaderboard message needs."""

    session_id: int
    reason: Status
    mode: Mode
    quiz_id: int
    chat_id: int
    played: bool  # False when the session ended in its lobby: no results then
    total_players: int
    top: list[Ranked]
    names: dict[int, str]
    host_played: bool


def display_name(first_name: str | None, username: str | None) -> str | None:
    """How a player is named on leaderboards: first name, else @username, else None."""
    if first_name:
        return first_name
    return f"@{username}" if username else None


def finish_session(
    conn: Connection,
    session_id: int,
    reason: Status,
    now: datetime,
    rules: ScoringRules,
    *,
    top_n: int = 10,
) -> Finished | None:
    """Move a live session to ``reason`` and write all of its results, in ``conn``'s transaction.

    Returns ``None`` (having written nothing) when the session is already over, so
    a repeated finish is harmless. A session that ended in its lobby gets its final
    state and no results.
    """
    if not reason.terminal:
        raise ValueError(f"{reason} is not a terminal status")
    head = conn.execute(
        _GUARD, {"session_id": session_id, "reason": reason.value, "now": now}
    ).first()
    if head is None:
        return None
    mode = Mode(head.mode)
    if head.position < 0:
        return Finished(
            session_id, reason, mode, head.quiz_id, head.chat_id, False, 0, [], {}, False
        )
    host_played = bool(
        conn.scalar(_HOST_PLAYED, {"session_id": session_id, "host_id": head.host_id})
    )
    # The scored answers are read twice (per player, per question); with the
    # default work_mem a 100,000-answer session spills them to disk.
    conn.execute(_WORK_MEM)
    rows = conn.execute(
        _results_statement(rules),
        {
            "session_id": session_id,
            "quiz_id": head.quiz_id,
            "chat_id": head.chat_id,
            "last_position": min(head.position, head.question_count - 1),
            "live": mode is not Mode.SOLO,
            "group_mode": mode is Mode.GROUP,
            "now": now,
            "top_n": top_n,
        },
    ).all()
    top = [ranked_row(row) for row in rows]
    names = {
        row.player_id: name
        for row in rows
        if (name := display_name(row.first_name, row.username)) is not None
    }
    total = rows[0].total if rows else 0
    return Finished(
        session_id, reason, mode, head.quiz_id, head.chat_id, True, total, top, names, host_played
    )


# A PRIVATE session's final messages are personal: every participant's own
# results row, with the chat it goes to, in the order the broadcasts use.
_STANDINGS = sa.text(
    """
    SELECT p.chat_id, r.player_id, r.score, r.correct, r.answered, r.total_time_ms, r.rank
    FROM participants p
    JOIN results r ON r.session_id = p.session_id AND r.player_id = p.player_id
    WHERE p.session_id = :session_id
    ORDER BY p.joined_at, p.player_id
    """
)


def standings(conn: Connection, session_id: int) -> list[tuple[int, Ranked]]:
    """(chat id, results row) of every participant of a finished session."""
    rows = conn.execute(_STANDINGS, {"session_id": session_id})
    return [(int(row.chat_id), ranked_row(row)) for row in rows]


def ranked_row(row: sa.Row[Any]) -> Ranked:
    """A ``results`` row (player_id, score, correct, answered, total_time_ms, rank) as the domain's."""
    return Ranked(
        player_id=row.player_id,
        score=row.score,
        correct=row.correct,
        answered=row.answered,
        total_time_ms=row.total_time_ms,
        rank=row.rank,
    )


def question_stats(conn: Connection, session_id: int, position: int) -> QuestionStats:
    """How many answered question ``position`` of a session, and how many were right."""
    row = conn.execute(_QUESTION_STATS, {"session_id": session_id, "position": position}).one()
    return QuestionStats(answered=row.answered, correct=row.correct)
