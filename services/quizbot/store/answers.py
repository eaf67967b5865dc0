"""The answer hot path: the group insert and the outcome lookup for rejected rows.

Thousands of button presses a second land here, so a whole batch is written by
ONE statement in one transaction (the web tier's group commit). Rows travel as
parallel arrays, each sent as one array literal, which PostgreSQL reads in C
without parsing JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.engine import Connection


@dataclass(frozen=True, slots=True)
class AnswerIn:
    """One button press (or poll vote) as the webhook received it."""

    update_id: int
    session_id: int
    position: int
    option: int
    player_id: int
    received_at: float  # epoch seconds at the webhook: the answer time, not the flush time
    # Pressed in the player's private chat with the bot: proof that they have not
    # blocked it (Telegram lets no one press a blocked bot's buttons).
    private_chat: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a group insert did: the accepted batch indexes and who auto-joined."""

    accepted: frozenset[int]  # 0-based indexes into the batch
    new_members: frozenset[int]  # accepted indexes that also joined a group session
    everyone_answered: tuple[int, ...]  # sessions whose every participant has now answered


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    """Why a row was not accepted: the facts the web tier classifies into a toast."""

    index: int
    processed: bool  # this update_id was applied before (a Telegram retry)
    session_known: bool
    status: str | None
    mode: str | None
    session_position: int | None
    before_deadline: bool
    option_count: int | None  # None: the session's quiz has no such question
    answered: bool
    member: bool


# RECORD_ANSWERS: the whole batch in ONE statement, which is also the whole
# transaction. The statement lives in the plpgsql function
# quizbot_record_answers (migration 0002, where each of its parts is explained),
# so PostgreSQL plans it once per server connection instead of once per flush.
#
# Why it is safe under concurrency, in short: it locks the batch's open
# sessions FOR NO KEY UPDATE in id order (no deadlock between the workers'
# committers; the writer's FOR UPDATE claim waits for it or makes it see the
# question closed), the answers primary key makes the first answer win (ON
# CONFLICT DO NOTHING), and the counters move by exactly the rows inserted,
# under that lock. Run in autocommit, it is durable when it returns; a session
# whose participants have all answered is NOTIFYed on quizbot_clock (``outbox.CLOCK_CHANNEL``) at commit.
RECORD_ANSWERS = sa.text(
    """
    SELECT kind, ref, new_member FROM quizbot_record_answers(
        CAST(:update_ids AS bigint[]), CAST(:session_ids AS bigint[]),
        CAST(:sessions AS bigint[]), CAST(:positions AS smallint[]),
        CAST(:options AS smallint[]), CAST(:player_ids AS bigint[]),
        CAST(:received_at AS double precision[])
    )
    """
)
_RECORD_ANSWERS_SQL = str(RECORD_ANSWERS.compile(dialect=psycopg2.dialect()))

# The same, for a batch with presses from private chats: their chats' block
# marks are cleared in the same statement, hence the same transaction (a
# data-modifying CTE always runs). Only marked rows are written, so a batch of
# unblocked players pays a primary-key probe each; a group quiz's batches use
# the statement above and pay nothing.
_UNBLOCK_CTE = (
    "WITH unblocked AS ("
    " UPDATE chats SET blocked_at = NULL, blocked_reason = NULL"
    " WHERE id = ANY(CAST(%(unblock)s AS bigint[])) AND blocked_at IS NOT NULL) "
)
_RECORD_AND_UNBLOCK_SQL = _UNBLOCK_CTE + _RECORD_ANSWERS_SQL.strip()

# OUTCOME_LOOKUP: why the rows the insert did not accept were refused.
#
# Read-only, run right after RECORD_ANSWERS committed, so it sees that
# statement's rows (a press that lost to its own batch twin reads as
# "answered"). Nothing is locked: a verdict that races with the writer is at
# worst "late" instead of "stale", and either toast is true a moment later.
OUTCOME_LOOKUP = sa.text(
    """
    SELECT b.i - 1 AS index,
           pu.update_id IS NOT NULL AS processed,
           s.id IS NOT NULL AS session_known,
           CAST(s.status AS text) AS status,
           CAST(s.mode AS text) AS mode,
           s.position AS session_position,
           coalesce(s.deadline > now(), false) AS before_deadline,
           jsonb_array_length(q.options) AS option_count,
           a.player_id IS NOT NULL AS answered,
           p.player_id IS NOT NULL AS member
    FROM unnest(
        CAST(:update_ids AS bigint[]), CAST(:session_ids AS bigint[]),
        CAST(:positions AS smallint[]), CAST(:player_ids AS bigint[])
    ) WITH ORDINALITY AS b(update_id, session_id, position, player_id, i)
    LEFT JOIN processed_updates pu ON pu.update_id = b.update_id
    LEFT JOIN sessions s ON s.id = b.session_id
    LEFT JOIN questions q ON q.quiz_id = s.quiz_id AND q.position = b.position
    LEFT JOIN answers a
           ON a.session_id = b.session_id AND a.position = b.position AND a.player_id = b.player_id
    LEFT JOIN participants p ON p.session_id = b.session_id AND p.player_id = b.player_id
    ORDER BY b.i
    """
)

# UNLOCKED_SESSIONS: which of these sessions nobody holds a row lock on right now.
# SKIP LOCKED never waits, so after a batch timed out on a lock this finds the
# stuck sessions at once. Run alone in autocommit, the lock it takes ends with
# the statement; FOR NO KEY UPDATE is the lock RECORD_ANSWERS itself takes.
UNLOCKED_SESSIONS = sa.text(
    """
    SELECT id FROM sessions WHERE id = ANY(CAST(:ids AS bigint[]))
    FOR NO KEY UPDATE SKIP LOCKED
    """
)


def unlocked_sessions(conn: Connection, session_ids: Sequence[int]) -> set[int]:
    """The ones of ``session_ids`` that exist and that no transaction holds locked."""
    rows = conn.execute(UNLOCKED_SESSIONS, {"ids": list(session_ids)})
    return {int(sid) for (sid,) in rows}


def _array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of numbers: one string for psycopg2 to quote.

    psycopg2 adapts a Python list element by element through Python-level
    adapters, which costs microseconds per value; joining ``str`` of ints and
    floats (never text: nothing here needs quoting) costs a fraction of that.
    """
    return "{" + ",".join(map(str, values)) + "}"


def record_answers(conn: Connection, answers: Sequence[AnswerIn]) -> Recorded:
    """Insert a batch with :data:`RECORD_ANSWERS`; on an autocommit connection it is durable on return."""
    params = {
        "update_ids": _array(a.update_id for a in answers),
        "session_ids": _array(a.session_id for a in answers),
        "sessions": _array(sorted({a.session_id for a in answers})),
        "positions": _array(a.position for a in answers),
        "options": _array(a.option for a in answers),
        "player_ids": _array(a.player_id for a in answers),
        "received_at": _array(a.received_at for a in answers),
    }
    sql = _RECORD_ANSWERS_SQL
    unblock = sorted({a.player_id for a in answers if a.private_chat})
    if unblock:  # a private chat's id is its user's id
        sql = _RECORD_AND_UNBLOCK_SQL
        params["unblock"] = _array(unblock)
    # The hot path skips SQLAlchemy's statement machinery: one precompiled
    # string and a raw cursor halve the client CPU of a flush.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return Recorded(
        accepted=frozenset(int(ref) for kind, ref, _ in rows if kind == "a"),
        new_members=frozenset(int(ref) for kind, ref, new in rows if kind == "a" and new),
        everyone_answered=tuple(int(ref) for kind, ref, _ in rows if kind == "n"),
    )


def lookup_outcomes(conn: Connection, answers: Sequence[AnswerIn]) -> list[AnswerFacts]:
    """The facts behind each of ``answers`` (normally the rejected part of a batch)."""
    rows = conn.execute(
        OUTCOME_LOOKUP,
        {
            "update_ids": [a.update_id for a in answers],
            "session_ids": [a.session_id for a in answers],
            "positions": [a.position for a in answers],
            "player_ids": [a.player_id for a in answers],
        },
    )
    return [AnswerFacts(**row._mapping) for row in rows]
