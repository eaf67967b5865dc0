"""The sender's leases and their fence: who may claim, keep and take back outbox rows.

One sender per bot token holds the lock (``sender.lock``); each tenure of it
is a :class:`Term`: the process's ``leased_by`` name and the lock generation
it took. The claim itself is in ``outbox_queries``; this module holds what
keeps two senders off the same rows across a takeover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True, slots=True)
class Term:
    """One tenure of the sender lock: who claims (``me``) under which generation."""

    me: str
    gen: int
    key: int


def listener_name(me: str) -> str:
    """The application_name of a sender's LISTEN session: how RECOVER_STALE sees it alive."""
    return f"quizbot-sender:{me}"[:63]


# The fence. Each sender that takes the lock bumps its generation
# (TAKE_GENERATION, on the lock's own session), and every claim records the
# generation it was made under (lease_gen). Claims and lease extensions apply
# only while the sender's generation is the current one, so a holder that lost
# the lock (its lock session was killed, the server restarted) can no longer
# take rows or keep its leases alive, even before it notices.
TAKE_GENERATION = """
    INSERT INTO sender_lock (key, generation, holder) VALUES (%(key)s, 1, %(holder)s)
    ON CONFLICT (key) DO UPDATE
    SET generation = sender_lock.generation + 1, holder = EXCLUDED.holder, acquired_at = now()
    RETURNING generation
"""

# Keep this term's claims alive (fenced). A row finished concurrently is no
# longer 'claimed' and is skipped.
EXTEND_LEASES = sa.text(
    """
    UPDATE outbox SET lease_until = now() + make_interval(secs => :lease_s)
    WHERE status = 'claimed' AND leased_by = :me AND lease_gen = :gen
      AND EXISTS (SELECT 1 FROM sender_lock l WHERE l.key = :key AND l.generation = :gen)
    """
)

# Stale claims, returned to pending by the lock holder (fenced): claims not of
# its current term whose lease ran out, or whose sender is provably gone. A live
# sender keeps a LISTEN session named ``quizbot-sender:<leased_by>`` on the
# server (see listener_name); when no such session exists, the process that
# made the claims is dead and cannot send them any more, so a standby taking
# over after a crash need not wait for the lease. A sender that is alive but
# lost the lock stops sending at once and gives its claims back itself; if it
# cannot, its leases run out (it no longer extends them).
# If a live sender finishes such a row concurrently, PostgreSQL re-checks this
# WHERE on the new row version and skips it, because it is no longer 'claimed'.
RECOVER_STALE = sa.text(
    """
    UPDATE outbox SET status = 'pending', lease_until = NULL, leased_by = NULL, lease_gen = NULL
    WHERE status = 'claimed'
      AND (leased_by IS DISTINCT FROM :me OR lease_gen IS DISTINCT FROM :gen)
      AND (lease_until < now()
           OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                          WHERE a.application_name = left('quizbot-sender:' || outbox.leased_by, 63)))
      AND EXISTS (SELECT 1 FROM sender_lock l WHERE l.key = :key AND l.generation = :gen)
    """
)

# End of a term (shutdown, lost lock) or start of a new one: whatever this
# process still holds was not sent; give it back as is (attempts unchanged).
# Run after the last results are written.
RELEASE_MINE = sa.text(
    """
    UPDATE outbox SET status = 'pending', lease_until = NULL, leased_by = NULL, lease_gen = NULL
    WHERE status = 'claimed' AND leased_by = :me
    """
)


def take_generation(cursor: Any, key: int, holder: str) -> int:
    """On the lock's session, just after taking the lock: the new, current generation."""
    cursor.execute(TAKE_GENERATION, {"key": key, "holder": holder})
    return int(cursor.fetchone()[0])


def extend_leases(conn: Connection, term: Term, lease_s: float) -> int:
    """Push the lease of every row ``term`` holds ``lease_s`` into the future (fenced)."""
    params = {"me": term.me, "gen": term.gen, "key": term.key, "lease_s": lease_s}
    return int(conn.execute(EXTEND_LEASES, params).rowcount or 0)


def recover_stale(conn: Connection, term: Term) -> int:
    """Return other claims whose lease ran out or whose sender is gone; returns how many."""
    params = {"me": term.me, "gen": term.gen, "key": term.key}
    return int(conn.execute(RECOVER_STALE, params).rowcount or 0)


def release_mine(conn: Connection, me: str) -> int:
    """Give back every row ``me`` (this process, any term) still holds, unsent."""
    return int(conn.execute(RELEASE_MINE, {"me": me}).rowcount or 0)
