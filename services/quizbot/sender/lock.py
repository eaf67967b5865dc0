"""One sender per bot token: a PostgreSQL session advisory lock, with a generation.

Two senders draining one outbox would break per-chat order and double the
rate against Telegram's limits. The lock is keyed on a hash of the token and
held by a session on a direct connection: pgbouncer in transaction mode would
hand the session to other clients, and PostgreSQL releases a session lock only
when its session ends, so through pgbouncer it would leak or vanish.

A second sender waits (standby), trying the lock every ``poll_s``; when the
first one's session ends, the lock frees and the standby takes over. Taking the
lock bumps its generation (``sender_lock``), the fence every claim carries.

A holder whose lock session breaks has lost the lock: the event loop watches
the session's socket, so :attr:`SenderLock.lost` is set the moment the server
ends the session (``pg_terminate_backend``, a restart); a ping every
``ping_s`` and TCP keepalives catch a session that vanished silently. The
sender then stops sending at once and stands by again.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg2
import psycopg2.extensions

from quizbot.store import direct, leases
from quizbot.store.events import first_set

log = logging.getLogger(__name__)

LOCK_APP = "quizbot-sender-lock"


class SenderLock:
    """The session advisory lock ``key``, held on its own direct connection."""

    def __init__(
        self, dsn: str, key: int, holder: str, poll_s: float = 0.5, ping_s: float = 1.0
    ) -> None:
        self.dsn = dsn
        self.key = key
        self.holder = holder
        self.poll_s = poll_s
        self.ping_s = ping_s
        self._conn: psycopg2.extensions.connection | None = None
        self._watch: direct.SocketWatch | None = None
        self.lost = asyncio.Event()
        self.generation = 0
        self.held = False

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait for the lock (through any outage); True once held, False if ``stop`` came first."""
        announced = False
        while not stop.is_set():
            try:
                generation = await asyncio.to_thread(self._try)
            except psycopg2.Error as exc:
                log.warning("sender lock: %s", exc)
                direct.close(self._conn)
                self._conn = None
                generation = None
            if generation is not None:
                self.generation = generation
                self.held = True
                self.lost = asyncio.Event()
                assert self._conn is not None
                self._watch = direct.SocketWatch(self._conn).__enter__()
                self.lost = self._watch.lost
                return True
            if not announced:
                log.info("another sender holds the lock (or the database is away); standing by")
                announced = True
            await first_set(stop, within=self.poll_s)
        return False

    async def keep(self, stop: asyncio.Event) -> None:
        """Ping the lock's session every ``ping_s`` until ``stop`` or until it is lost."""
        while self._watch is not None and not self.lost.is_set() and not stop.is_set():
            if not await first_set(stop, within=self.ping_s):
                await self._watch.ping()
        if self.lost.is_set():
            self.held = False

    async def release(self) -> None:
        """Let the lock go (closing the session releases it)."""
        self.held = False
        if self._watch is not None:
            self._watch.__exit__()
            self._watch = None
        conn, self._conn = self._conn, None
        await asyncio.to_thread(direct.close, conn)

    def _try(self) -> int | None:
        if self._conn is None or self._conn.closed:
            self._conn = direct.connect(self.dsn, LOCK_APP)
        with self._conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            row = cur.fetchone()
            if not (row and row[0]):
                return None
            return leases.take_generation(cur, self.key, self.holder)
