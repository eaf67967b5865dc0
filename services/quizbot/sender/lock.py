"""One sender per bot token: a PostgreSQL session advisory lock.

Two senders draining one outbox would break per-chat order and double the
rate against Telegram's limits. The lock is keyed on a hash of the token and
held by a session on a direct connection: pgbouncer in transaction mode would
hand the session to other clients, and PostgreSQL releases a session lock only
when its session ends, so through pgbouncer it would leak or vanish.

A second sender waits (standby), trying the lock every ``poll_s``; when the
first one dies its session ends, the lock frees, and the standby takes over.
A holder that loses its connection has lost the lock: :meth:`SenderLock.check`
raises, and the sender stops (its supervisor restarts it as a standby).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg2
import psycopg2.extensions

log = logging.getLogger(__name__)


class LockLost(RuntimeError):
    """The connection holding the sender lock broke, so another sender may take over."""


class SenderLock:
    """The session advisory lock ``key``, held on its own direct connection."""

    def __init__(self, dsn: str, key: int, poll_s: float = 0.5) -> None:
        self.dsn = dsn
        self.key = key
        self.poll_s = poll_s
        self._conn: psycopg2.extensions.connection | None = None
        self.held = False

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait for the lock; True once held, False if ``stop`` came first."""
        announced = False
        while not stop.is_set():
            try:
                if await asyncio.to_thread(self._try):
                    self.held = True
                    return True
            except psycopg2.Error as exc:
                log.warning("sender lock: %s", exc)
                self._close()
            if not announced:
                log.info("another sender holds the lock; standing by")
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_s)
        return False

    async def check(self) -> None:
        """Raise :class:`LockLost` unless the lock's connection still answers."""
        try:
            await asyncio.to_thread(self._ping)
        except psycopg2.Error as exc:
            self.held = False
            raise LockLost(f"the sender lock's connection broke: {exc}") from exc

    async def release(self) -> None:
        """Let the lock go (closing the session releases it)."""
        self.held = False
        await asyncio.to_thread(self._close)

    def _try(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(self.dsn, application_name="quizbot-sender-lock")
            self._conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with self._conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            row = cur.fetchone()
        return bool(row and row[0])

    def _ping(self) -> None:
        if self._conn is None or self._conn.closed:
            raise psycopg2.InterfaceError("no lock connection")
        with self._conn.cursor() as cur:
            cur.execute("SELECT 1")

    def _close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
        self._conn = None
