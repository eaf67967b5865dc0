"""Direct PostgreSQL sessions (LISTEN, the sender lock) and watching their sockets.

Some state lives in a server session: a LISTEN, a session advisory lock.
pgbouncer in transaction mode lends a server session to other clients between
transactions, so these connect straight to PostgreSQL (``DatabaseUrls.direct``).

Such a connection sits idle most of the time, so a broken one must be noticed
without a query: :class:`SocketWatch` has the event loop watch its socket. A
server that ends the session (restart, ``pg_terminate_backend``) makes it
readable, and ``poll()`` then raises, which sets :attr:`SocketWatch.lost` at
once. TCP keepalives (DB_KEEPALIVES_*, carried by the DSN) and the owner's
periodic ping catch a peer that vanished without a word.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

# A server that does not answer the connection at all is given up on (and retried).
CONNECT_TIMEOUT_S = 5


def connect(dsn: str, application_name: str) -> psycopg2.extensions.connection:
    """An autocommit session straight to PostgreSQL (blocking).

    ``dsn`` carries the keepalives and session settings
    (``quizbot.store.database.direct_session_url``).
    """
    conn = psycopg2.connect(
        dsn, application_name=application_name[:63], connect_timeout=CONNECT_TIMEOUT_S
    )
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    return conn


def close(conn: psycopg2.extensions.connection | None) -> None:
    """Close ``conn`` if it is open, ignoring errors of an already broken one."""
    if conn is not None and not conn.closed:
        with contextlib.suppress(psycopg2.Error):
            conn.close()


class SocketWatch:
    """Watches an idle direct connection: ``on_notify`` per batch of notifications,
    :attr:`lost` once the session is gone.

    Use as a context manager around the time the connection is idle; the
    reader is removed on exit by the fd kept at entry, since once psycopg2
    has closed a broken connection ``fileno()`` fails, and a reader left under
    that number would swallow the next connection's (the number is reused).
    """

    def __init__(
        self,
        conn: psycopg2.extensions.connection,
        on_notify: Callable[[int], None] | None = None,
    ) -> None:
        self.conn = conn
        self.on_notify = on_notify
        self.lost = asyncio.Event()
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> SocketWatch:
        self._loop = asyncio.get_running_loop()
        self._fd = self.conn.fileno()
        self._loop.add_reader(self._fd, self.readable)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None and self._loop is not None:
            self._loop.remove_reader(self._fd)
            self._fd = None

    def readable(self) -> None:
        """Consume what the server sent; a broken session sets :attr:`lost`."""
        try:
            self.conn.poll()
        except psycopg2.Error:
            self.lost.set()
            self.__exit__()
            return
        self.take_notifies()

    def take_notifies(self) -> None:
        """Hand queued notifications to ``on_notify`` (also after a ping consumed them)."""
        if self.conn.notifies:
            n = len(self.conn.notifies)
            self.conn.notifies.clear()
            if self.on_notify is not None:
                self.on_notify(n)

    async def ping(self) -> bool:
        """Run ``SELECT 1`` (off the loop, reader paused); False, and :attr:`lost`, if it fails."""
        if self.lost.is_set():
            return False
        assert self._loop is not None
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
        try:
            await asyncio.to_thread(_select_1, self.conn)
        except psycopg2.Error:
            self.lost.set()
            self._fd = None
            return False
        if self._fd is not None:
            self._loop.add_reader(self._fd, self.readable)
        self.take_notifies()
        return True


def _select_1(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
