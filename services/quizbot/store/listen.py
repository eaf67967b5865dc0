"""LISTEN on a channel, for both daemons: the sender (``quizbot_outbox``) and the
writer's clock (``quizbot_clock``).

The session goes straight to PostgreSQL (see ``store.direct``). Waiting costs
no thread: the event loop watches the socket. A broken connection is reopened
with backoff; meanwhile the daemons poll, so a notification missed during an
outage only costs latency, and every (re)connect calls ``wake`` once in case
one was. With no traffic the connection is pinged every ``keepalive_s``, since
a silently dropped TCP connection never becomes readable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg2

from quizbot.store import direct
from quizbot.store.events import first_set
from quizbot.store.outage import Backoff

log = logging.getLogger(__name__)


class Listener:
    """Calls ``wake`` whenever a notification arrives on ``channel``."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        wake: Callable[[], None],
        *,
        application_name: str,
        keepalive_s: float = 10.0,
    ) -> None:
        self.dsn = dsn
        self.channel = channel
        self.wake = wake
        self.application_name = application_name
        self.keepalive_s = keepalive_s
        self.notifications = 0
        self.connects = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``, reconnecting (0.2 s doubling to 2 s) whenever the session breaks."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                await self._listen(stop, backoff)
            except psycopg2.Error as exc:
                log.warning("LISTEN %s: connection failed: %s", self.channel, exc)
            await first_set(stop, within=backoff.next())

    async def _listen(self, stop: asyncio.Event, backoff: Backoff) -> None:
        conn = await asyncio.to_thread(direct.connect, self.dsn, self.application_name)
        try:
            with conn.cursor() as cur:
                cur.execute(f'LISTEN "{self.channel}"')
            with direct.SocketWatch(conn, self._notified) as watch:
                self.connects += 1
                backoff.reset()
                self.wake()
                while not stop.is_set():
                    if not await first_set(stop, watch.lost, within=self.keepalive_s):
                        await watch.ping()
                    if watch.lost.is_set():
                        log.warning("LISTEN %s: connection lost; reconnecting", self.channel)
                        return
        finally:
            direct.close(conn)

    def _notified(self, n: int) -> None:
        self.notifications += n
        self.wake()
