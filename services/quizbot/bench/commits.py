"""Counting commits in a database: ``pg_stat_database.xact_commit``, read exactly.

Statistics reach ``pg_stat_database`` only when a backend flushes them, which it
does at idle at most once a second unless asked. So:

- the reader (:class:`CommitCounter`) sits in one open transaction that never
  commits, with ``stats_fetch_consistency = none`` so each read is fresh: it
  adds nothing to what it counts;
- the measured work runs on a one-connection engine, and :func:`measure_commits`
  asks that same backend to flush (``pg_stat_force_next_flush()``, PostgreSQL
  15+) in one committed transaction before and after. A backend flushes before
  it reports ready for the next query, so the counter is exact once the flush
  returns; the "after" flush's own commit is subtracted. Read-only transactions
  count too: ``xact_commit`` counts every commit;
- autovacuum's transactions would count too, so :func:`quiet_autovacuum` turns
  it off in the measured (scratch or test) database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

# A backend with no table access pending skips its flush altogether, commit count
# included, so the flushing transaction reads a (catalog) table.
_FORCE_FLUSH = sa.text("SELECT pg_stat_force_next_flush(), (SELECT count(*) FROM pg_class)")
_TABLES = sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")


class CommitCounter:
    """Reads the commit count of the database behind ``dsn`` without committing itself."""

    def __init__(self, dsn: str) -> None:
        self._conn = psycopg2.connect(dsn)
        with self._conn.cursor() as cur:
            # Opens the transaction this reader never commits.
            cur.execute("SET stats_fetch_consistency = none")

    def read(self) -> int:
        """The database's ``xact_commit`` right now."""
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )
            row = cur.fetchone()
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        """Roll back the reader's transaction and disconnect."""
        self._conn.rollback()
        self._conn.close()

    def __enter__(self) -> CommitCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def flush_stats(engine: Engine) -> None:
    """Make the engine's (single) backend publish its pending statistics now."""
    with engine.connect() as conn:
        conn.execute(_FORCE_FLUSH)
        conn.commit()


def measure_commits(engine: Engine, counter: CommitCounter, work: Callable[[], Any]) -> int:
    """How many transactions ``work`` committed on ``engine`` (a one-connection pool).

    Anything else committing in the database at the same time is counted too, so
    measure in an otherwise idle database (a scratch or test database).
    """
    pool = engine.pool
    if not isinstance(pool, sa.pool.QueuePool) or pool.size() != 1 or pool._max_overflow != 0:
        raise ValueError("measure on an engine with exactly one pooled connection")
    flush_stats(engine)
    before = counter.read()
    work()
    flush_stats(engine)
    return counter.read() - before - 1


def single_connection_engine(url: str) -> Engine:
    """An engine that always uses the same backend, as :func:`measure_commits` needs."""
    return sa.create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=False)


def quiet_autovacuum(conn: Connection) -> None:
    """Turn autovacuum off for every table, so only the measured work commits."""
    for (table,) in conn.execute(_TABLES).all():
        conn.execute(sa.text(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)'))
