"""Waking the claimer: LISTEN quizbot_outbox on a direct PostgreSQL connection.

LISTEN cannot go through pgbouncer in transaction mode: the listening session
would be lent to other clients between transactions and the notifications
lost, so the listener connects straight to PostgreSQL (``DATABASE_DIRECT_URL``).
A lost connection is re-opened after a pause; the claimer also polls, so a
notification missed meanwhile only costs latency, and every (re)connect wakes
the claimer once in case one was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

log = logging.getLogger(__name__)


class Listener:
    """Calls ``wake`` whenever a notification arrives on ``channel``."""

    def __init__(
        self, dsn: str, channel: str, wake: Callable[[], None], reconnect_s: float = 1.0
    ) -> None:
        self.dsn = dsn
        self.channel = channel
        self.wake = wake
        self.reconnect_s = reconnect_s
        self.notifications = 0
        self.connects = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``, reconnecting whenever the connection breaks."""
        while not stop.is_set():
            try:
                await self._listen(stop)
            except psycopg2.Error as exc:
                log.warning("LISTEN %s connection failed: %s", self.channel, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.reconnect_s)

    async def _listen(self, stop: asyncio.Event) -> None:
        conn = await asyncio.to_thread(
            psycopg2.connect, self.dsn, application_name="quizbot-sender-listen"
        )
        loop = asyncio.get_running_loop()
        lost = asyncio.Event()

        def readable() -> None:
            try:
                conn.poll()
            except psycopg2.Error:
                lost.set()
                return
            if conn.notifies:
                self.notifications += len(conn.notifies)
                conn.notifies.clear()
                self.wake()

        # The fd is kept: once the server drops the connection psycopg2 closes
        # it and fileno() fails, and a reader left registered under that number
        # would swallow the next connection's registration (same number reused).
        fd: int | None = None
        try:
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with conn.cursor() as cur:
                cur.execute(f'LISTEN "{self.channel}"')
            fd = conn.fileno()
            loop.add_reader(fd, readable)
            self.connects += 1
            self.wake()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
            if lost.is_set():
                log.warning("LISTEN %s connection lost; reconnecting", self.channel)
        finally:
            if fd is not None:
                loop.remove_reader(fd)
            conn.close()
