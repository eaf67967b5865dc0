"""The game clock's queries: which session needs a transition now.

Each claim takes at most one session row ``FOR NO KEY UPDATE SKIP LOCKED``
inside the transaction that applies its transition. Why every transition
happens exactly once, with any number of writers (or clock workers):

- a row another writer holds is skipped, not waited for;
- a row another writer changed and committed after this query's snapshot is
  re-checked against its newest version before it is locked (READ COMMITTED's
  EvalPlanQual), and by then it no longer matches: its deadline moved on, its
  request is cleared, or its status is terminal.

``NO KEY``: the writer never changes the key, so foreign-key checks (a new
participant) need not wait for it, while every other update of the row (the
web tier's answer counters, joins, requests) does. ``SKIP LOCKED`` also means
a claim never waits behind those brief updates; the row is taken on the next
pass.

- :data:`CLAIM_DUE`: a deadline has passed (question time up, reveal pause over,
  lobby timeout, or a request the web tier made due with ``deadline = now()``).
  It walks ``ix_sessions_due``, the partial index on live sessions' deadlines.
- :data:`CLAIM_REQUESTED`: no deadline yet, but a request is pending, everyone has
  answered the open question, or the session has been idle too long. It reads
  live sessions only (``ix_sessions_chat_live`` covers that set).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_COLUMNS = """
    id, quiz_id, mode, status, chat_id, host_id, position, question_count, deadline,
    participant_count, answered_count, last_activity_at, pending_command, pending_by,
    created_at, opened_at, started_at, time_limit_ms, close_when_all_answered, style
"""

# The statement timeout for the rest of this transaction only (SET LOCAL), so a
# pooled server connection goes back to pgbouncer with its usual one.
SET_STATEMENT_TIMEOUT = sa.text("SELECT set_config('statement_timeout', :ms, true)")

CLAIM_DUE = sa.text(
    f"""
    SELECT {_COLUMNS} FROM sessions
    WHERE status IN ('lobby', 'question', 'reveal') AND deadline <= :now
      AND id <> ALL(CAST(:skip AS bigint[]))
    ORDER BY deadline
    LIMIT 1
    FOR NO KEY UPDATE SKIP LOCKED
    """  # noqa: S608 - a constant column list, no input
)

CLAIM_REQUESTED = sa.text(
    f"""
    SELECT {_COLUMNS} FROM sessions
    WHERE status IN ('lobby', 'question', 'reveal')
      AND id <> ALL(CAST(:skip AS bigint[]))
      AND (pending_command IS NOT NULL
           OR (status = 'question' AND participant_count > 0
               AND answered_count >= participant_count
               -- a group closes early only by its host's choice (domain.game.closes_early)
               AND (mode <> 'group' OR close_when_all_answered))
           OR last_activity_at <= :idle_before)
    ORDER BY id
    LIMIT 1
    FOR NO KEY UPDATE SKIP LOCKED
    """  # noqa: S608 - a constant column list, no input
)

# min() over the partial index: the next moment the clock has work.
NEXT_DEADLINE = sa.text(
    """
    SELECT min(deadline) FROM sessions
    WHERE status IN ('lobby', 'question', 'reveal') AND id <> ALL(CAST(:skip AS bigint[]))
    """
)


# A transition that raised: count it (reset by the next transition that commits).
RECORD_FAILURE = sa.text(
    """
    UPDATE sessions SET transition_failures = transition_failures + 1
    WHERE id = :id AND status IN ('lobby', 'question', 'reveal')
    RETURNING transition_failures
    """
)

# Too many failures in a row: end the session, so its chat can start another game.
END_BY_ERROR = sa.text(
    """
    UPDATE sessions
    SET status = 'abandoned', finish_reason = 'error', finished_at = now(), deadline = NULL,
        pending_command = NULL, pending_by = NULL
    WHERE id = :id AND status IN ('lobby', 'question', 'reveal')
    RETURNING chat_id
    """
)


@dataclass(frozen=True)
class SessionRow:
    """A claimed session row, as the transition needs it."""

    id: int
    quiz_id: int
    mode: str
    status: str
    chat_id: int
    host_id: int
    position: int
    question_count: int
    deadline: datetime | None
    participant_count: int
    answered_count: int
    last_activity_at: datetime
    pending_command: str | None
    pending_by: int | None
    created_at: datetime
    opened_at: datetime | None
    started_at: datetime | None
    time_limit_ms: int | None
    close_when_all_answered: bool = False
    style: str = "buttons"


def set_statement_timeout(conn: Connection, ms: int) -> None:
    """Give the current transaction a statement timeout of ``ms`` milliseconds."""
    conn.execute(SET_STATEMENT_TIMEOUT, {"ms": str(ms)})


def claim_due(conn: Connection, now: datetime, skip: list[int] | None = None) -> SessionRow | None:
    """Lock the live session whose deadline passed longest ago, if any, except ``skip``."""
    row = conn.execute(CLAIM_DUE, {"now": now, "skip": skip or []}).first()
    return SessionRow(**row._mapping) if row is not None else None


def claim_requested(
    conn: Connection, idle_before: datetime, skip: list[int] | None = None
) -> SessionRow | None:
    """Lock a live session with a request, all answers in, or no activity since ``idle_before``.

    ``skip`` names sessions to leave alone: ones this pass already left as they
    were, or whose transition failed recently.
    """
    row = conn.execute(CLAIM_REQUESTED, {"idle_before": idle_before, "skip": skip or []}).first()
    return SessionRow(**row._mapping) if row is not None else None


def next_deadline(conn: Connection, skip: list[int] | None = None) -> datetime | None:
    """The earliest deadline of any live session, except ``skip``."""
    value: datetime | None = conn.scalar(NEXT_DEADLINE, {"skip": skip or []})
    return value


def record_failure(conn: Connection, session_id: int) -> int:
    """Count a failed transition of a live session; returns the failures in a row (0 if ended)."""
    return int(conn.scalar(RECORD_FAILURE, {"id": session_id}) or 0)


def end_by_error(conn: Connection, session_id: int) -> int | None:
    """Abandon a live session whose transitions keep failing; returns its chat id."""
    chat_id: int | None = conn.scalar(END_BY_ERROR, {"id": session_id})
    return chat_id
