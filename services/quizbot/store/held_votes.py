"""Quiz-poll votes that arrived before their poll id was recorded: held, then applied.

The sender records a poll's id (``store.polls.record_polls``) in the result
batch after ``sendPoll`` returned it, about 0.1 s later. A ``poll_answer`` in
between names a poll the database does not know yet. Instead of dropping it,
the web tier holds it here with the time it was received (``hold``), and the
sender applies it in the very transaction that records the poll (``apply``):
through the same group insert as every answer (``store.answers.record_answers``),
so it is scored by its receive time, refused if that was past the deadline,
and counted once (the answers primary key and ``processed_updates``).

The handshake between the two is the advisory lock (20241, 0): ``hold`` takes
it shared, ``apply`` exclusively, before either looks at ``polls``; see
migration 0012 for why no vote can fall between them. Votes whose poll is
never recorded (a poll from a lost result batch, sent again under a new id)
are pruned by the writer's housekeeping after ``KEPT_S``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.store.answers import AnswerIn, record_answers

KEPT_S = 3600  # far past any question's time limit

# HOLD_VOTES: hold the votes whose poll is still unknown once the lock is
# taken; returns the question of each poll that is known by then. Run in
# autocommit: the call is its own transaction, durable when it returns.
HOLD_VOTES = sa.text(
    """
    SELECT poll_id, session_id, position FROM quizbot_hold_votes(
        CAST(:update_ids AS bigint[]), CAST(:poll_ids AS text[]),
        CAST(:player_ids AS bigint[]), CAST(:options AS smallint[]),
        CAST(:received_at AS double precision[])
    )
    """
)

# LOCK_FOR_RECORDING: taken by the sender before it inserts poll ids; it waits
# for holds in progress (a few milliseconds) and makes new ones wait for the
# sender's commit, after which they find the polls.
LOCK_FOR_RECORDING = sa.text("SELECT pg_advisory_xact_lock(20241, 0)")

# HELD_FOR_POLLS: the held votes of polls recorded in this transaction, with
# their question; the earliest first, so the group insert keeps a player's
# first vote if there were two.
HELD_FOR_POLLS = sa.text(
    """
    SELECT h.update_id, p.session_id, p.position, h.option, h.player_id, h.received_at
    FROM held_votes h JOIN polls p ON p.poll_id = h.poll_id
    WHERE h.poll_id = ANY(CAST(:poll_ids AS text[]))
    ORDER BY h.received_at, h.update_id
    """
)

DROP_HELD = sa.text("DELETE FROM held_votes WHERE update_id = ANY(CAST(:ids AS bigint[]))")

PRUNE_HELD = sa.text(
    """
    DELETE FROM held_votes WHERE update_id IN (
        SELECT update_id FROM held_votes
        WHERE held_at < now() - make_interval(secs => :kept) LIMIT :batch)
    """
)


def hold(conn: Connection, votes: Sequence[tuple[str, AnswerIn]]) -> dict[str, tuple[int, int]]:
    """Hold the (poll id, vote) pairs whose poll is unknown (web tier, autocommit).

    Returns poll_id -> (session id, position) for the polls recorded meanwhile:
    their votes were not held and go through the group insert as usual.
    """
    rows = conn.execute(
        HOLD_VOTES,
        {
            "update_ids": [a.update_id for _, a in votes],
            "poll_ids": [poll_id for poll_id, _ in votes],
            "player_ids": [a.player_id for _, a in votes],
            "options": [a.option for _, a in votes],
            "received_at": [a.received_at for _, a in votes],
        },
    )
    return {str(poll_id): (int(sid), int(pos)) for poll_id, sid, pos in rows}


def lock_for_recording(conn: Connection) -> None:
    """Make holds wait until this transaction commits (the sender, before recording polls)."""
    conn.execute(LOCK_FOR_RECORDING)


def apply(conn: Connection, poll_ids: Sequence[str]) -> int:
    """Apply the held votes of ``poll_ids`` (recorded in this transaction); how many counted.

    Each goes through the group insert with its receive time: on time and for
    the open question it counts, else it is refused as any late answer is.
    Either way it is no longer held.
    """
    held = conn.execute(HELD_FOR_POLLS, {"poll_ids": list(poll_ids)}).all()
    if not held:
        return 0
    votes = [
        AnswerIn(int(r.update_id), int(r.session_id), int(r.position), int(r.option),
                 int(r.player_id), float(r.received_at))
        for r in held
    ]  # fmt: skip
    recorded = record_answers(conn, votes)
    conn.execute(DROP_HELD, {"ids": [v.update_id for v in votes]})
    return len(recorded.accepted)


def prune(conn: Connection, batch: int) -> int:
    """Delete up to ``batch`` votes held longer than ``KEPT_S`` (their poll never came)."""
    return int(conn.execute(PRUNE_HELD, {"kept": KEPT_S, "batch": batch}).rowcount or 0)
