"""Pruning what only matters for a while: processed update ids, delivered outbox rows,
held poll votes and answered quiz-file requests.

Telegram keeps an unconfirmed update for at most 24 hours, so an update id
older than two days can never come back as a retry. A delivered outbox row is
needed while its message may still be edited (a live session lasts minutes);
after a week it is only history. A poll vote held for an hour names a poll that
was never recorded (``store.held_votes``). A quiz file answered a week ago
(``uploads`` done or failed) is history. The deletes go in small batches so
they never hold locks the hot paths wait on.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from quizbot.store import held_votes

UPDATE_IDS_KEPT_S = 2 * 86400
OUTBOX_KEPT_S = 7 * 86400
BATCH = 5000

# ctid batches: a bounded delete that walks the processed_at index.
_PRUNE_UPDATES = sa.text(
    """
    DELETE FROM processed_updates WHERE ctid IN (
        SELECT ctid FROM processed_updates
        WHERE processed_at < now() - make_interval(secs => :kept) LIMIT :batch)
    """
)
# Only finished rows (sent, dropped, dead); pending and claimed rows are the sender's.
_PRUNE_OUTBOX = sa.text(
    """
    DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox
        WHERE status IN ('sent', 'dropped', 'dead')
          AND created_at < now() - make_interval(secs => :kept)
        ORDER BY id LIMIT :batch)
    """
)


# A quiz file's request once answered (done or failed) is only history too.
_PRUNE_UPLOADS = sa.text(
    """
    DELETE FROM uploads WHERE id IN (
        SELECT id FROM uploads
        WHERE status IN ('done', 'failed')
          AND created_at < now() - make_interval(secs => :kept)
        ORDER BY id LIMIT :batch)
    """
)


def prune(engine: Engine, max_batches: int = 20) -> tuple[int, int, int, int]:
    """Delete expired update ids, outbox rows, held votes and answered upload requests;
    returns how many of each."""
    return (
        _batched(engine, max_batches, _delete(_PRUNE_UPDATES, UPDATE_IDS_KEPT_S)),
        _batched(engine, max_batches, _delete(_PRUNE_OUTBOX, OUTBOX_KEPT_S)),
        _batched(engine, max_batches, lambda conn: held_votes.prune(conn, BATCH)),
        _batched(engine, max_batches, _delete(_PRUNE_UPLOADS, OUTBOX_KEPT_S)),
    )


def _delete(statement: sa.TextClause, kept: int) -> Callable[[Connection], int]:
    return lambda conn: int(conn.execute(statement, {"kept": kept, "batch": BATCH}).rowcount or 0)


def _batched(engine: Engine, max_batches: int, delete: Callable[[Connection], int]) -> int:
    """Run ``delete`` (at most BATCH rows) one transaction at a time until it runs dry."""
    removed = 0
    for _ in range(max_batches):
        with engine.begin() as conn:
            count = delete(conn)
        removed += count
        if count < BATCH:
            break
    return removed
