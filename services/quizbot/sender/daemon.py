"""The sender daemon's lifecycle: lock, named tasks, drain on SIGTERM.

Tasks (each named, so a traceback says which one died):

- ``listener``: LISTEN quizbot_outbox, wakes the claimer;
- ``claimer``: claims due rows into the lanes while they have room, on a
  notification or every ``poll_s``;
- ``worker-N``: SENDER_WORKERS of them, each delivering one row at a time;
- ``results``: writes delivery results, one transaction per batch;
- ``lease-keeper``: extends this sender's leases, returns expired ones,
  checks the lock, reports queue depth;
- ``meters``: sends the summed metrics once a second.

Stopping (SIGTERM, or a task dying): claim nothing more, let in-flight sends
finish (up to ``drain_s``), write every result, give the unsent claims back
(pending, lease cleared), release the lock. ``run`` returns 0 after a clean
stop and 1 when a task died, so supervisor restarts the sender.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from quizbot import logs, metrics
from quizbot.sender.delivery import Call, Delivery
from quizbot.sender.events import first_set
from quizbot.sender.lanes import Lanes
from quizbot.sender.listener import Listener
from quizbot.sender.lock import SenderLock
from quizbot.sender.meters import Meters
from quizbot.sender.ratelimit import Limits, RateLimiter
from quizbot.sender.results import Entry, ResultBuffer, write
from quizbot.settings import Settings
from quizbot.store import outbox_queries as q
from quizbot.store.database import libpq_dsn
from quizbot.store.outbox import OUTBOX_CHANNEL

log = logging.getLogger(__name__)
T = TypeVar("T")
# Rows of one chat held in its lane at most: a chat's backlog (one message a
# second at Telegram's pace) must not fill the sender while other chats wait.
CHAT_WINDOW = 10


@dataclass(frozen=True)
class SenderConfig:
    """The sender's knobs, from settings plus a few internal timings."""

    workers: int
    batch_size: int
    lease_s: float
    max_attempts: int
    paid_broadcast: bool
    limits: Limits
    poll_s: float = 0.5
    flush_wait_s: float = 0.05
    drain_s: float = 10.0
    metrics_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SenderConfig:
        """The configuration the settings describe; ``overrides`` replace fields."""
        values: dict[str, Any] = dict(
            workers=settings.sender_workers,
            batch_size=settings.sender_batch_size,
            lease_s=settings.sender_lease_s,
            max_attempts=settings.send_max_attempts,
            paid_broadcast=settings.paid_broadcast,
            limits=Limits.from_settings(
                settings.send_rate_per_s,
                settings.paid_broadcast,
                settings.per_chat_per_s,
                settings.per_chat_burst,
                settings.per_group_per_min,
            ),
        )
        values.update(overrides)
        return cls(**values)


def sender_name() -> str:
    """This process's ``leased_by``: host, pid and a random tag (unique across restarts)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Sender:
    """One sender process: drains the outbox through ``call`` (a Bot API call)."""

    def __init__(
        self,
        config: SenderConfig,
        engine: Engine,
        direct_url: str,
        token: str,
        call: Call,
        meters: Meters | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.me = sender_name()
        self.lock = SenderLock(libpq_dsn(direct_url), q.sender_lock_key(token))
        self.direct_dsn = libpq_dsn(direct_url)
        self.stop = asyncio.Event()
        self.meters = meters or Meters(metrics.client())
        self.limiter = RateLimiter(config.limits, time.monotonic)
        self.lanes = Lanes(self.limiter.chat_ready_at, time.monotonic)
        self.results = ResultBuffer(
            self._write,
            max_batch=config.batch_size,
            max_wait_s=config.flush_wait_s,
            scrub=logs.redactor(token),
        )
        self.delivery = Delivery(
            call=call,
            lanes=self.lanes,
            limiter=self.limiter,
            results=self.results,
            meters=self.meters,
            max_attempts=config.max_attempts,
            paid_broadcast=config.paid_broadcast,
            stop=self.stop,
        )
        self._wake = asyncio.Event()
        self._db_lock = asyncio.Lock()
        self.claimed = 0

    async def run(self) -> int:
        """Run until :attr:`stop` is set or a task dies; 0 on a clean stop, 1 otherwise."""
        if not await self.lock.acquire(self.stop):
            return 0
        try:
            orphaned = await self._db(q.recover_orphaned, self.me)
            log.info("sender %s holds the lock; %d orphaned claims returned", self.me, orphaned)
            return await self._run_tasks()
        finally:
            await self.lock.release()

    async def _run_tasks(self) -> int:
        c = self.config
        listener = Listener(self.direct_dsn, OUTBOX_CHANNEL, self._wake.set)
        workers = [self._task(self.delivery.work(), f"worker-{i}") for i in range(c.workers)]
        others = [
            self._task(listener.run(self.stop), "listener"),
            self._task(self._claim_loop(), "claimer"),
            self._task(self.results.run(self.stop), "results"),
            self._task(self._lease_loop(), "lease-keeper"),
            self._task(self._meter_loop(), "meters"),
        ]
        stopped = self._task(self.stop.wait(), "stop")
        done, _ = await asyncio.wait([stopped, *workers, *others], return_when="FIRST_COMPLETED")
        died = [t for t in done if t is not stopped]
        for task in died:
            exc = task.exception() if not task.cancelled() else None
            log.error("sender task %s ended unexpectedly: %r", task.get_name(), exc)
        self.stop.set()
        await self._drain(workers, others)
        return 1 if died else 0

    async def _drain(
        self, workers: list[asyncio.Task[None]], others: list[asyncio.Task[Any]]
    ) -> None:
        self.lanes.close()
        _, late = await asyncio.wait(workers, timeout=self.config.drain_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*workers, *others, return_exceptions=True)
        written = await self.results.drain()
        unsent = len(self.lanes.take_all())
        released = await self._db(q.release_mine, self.me)
        self.meters.flush()
        log.info(
            "sender stopped: results %s, %d queued rows (%d claims) given back",
            "written" if written else "NOT all written",
            unsent,
            released,
        )

    async def _claim_loop(self) -> None:
        c = self.config
        room_for = 4 * c.batch_size
        while not self.stop.is_set():
            self._wake.clear()
            room = room_for - self.lanes.depth - self.lanes.in_flight
            want = min(c.batch_size, room)
            if want > 0:
                full = self.lanes.full(CHAT_WINDOW)
                claim = await self._db(q.claim, self.me, want, c.lease_s, full)
                self.claimed += len(claim.rows)
                self.lanes.add(claim.rows)
                for _, method in claim.dropped_blocked:
                    self.meters.incr(f"send.{method}.blocked")
                if claim.rows or claim.dropped_blocked:
                    # A claim takes one row per chat: the next ones may be claimable now.
                    continue
            timeout = c.poll_s if want > 0 else min(c.poll_s, 0.05)
            await first_set(self._wake, self.stop, within=timeout)

    async def _lease_loop(self) -> None:
        c = self.config
        every = max(0.2, c.lease_s / 3)
        while True:
            await self.lock.check()
            await asyncio.to_thread(self._tx, q.extend_leases, self.me, c.lease_s)
            recovered = await asyncio.to_thread(self._tx, q.recover_expired)
            if recovered:
                log.warning("%d expired claims returned to pending", recovered)
            pending = await asyncio.to_thread(self._tx, q.pending_count)
            self.meters.gauge("queue.pending", pending)
            self.meters.gauge("queue.claimed", self.lanes.depth + self.lanes.in_flight)
            self.meters.gauge("queue.held", self.lanes.held_rows())
            self.limiter.forget_idle()
            if await first_set(self.stop, within=every):
                return

    async def _meter_loop(self) -> None:
        while not await first_set(self.stop, within=self.config.metrics_s):
            self.meters.flush()

    async def _write(self, entries: list[Entry]) -> None:
        await self._db(write, self.me, entries)

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        # Claims and result writes take turns: each claim sees every result
        # written before it (a retry's new due time, a block's dropped rows),
        # and the sender keeps one pooled connection busy, not several.
        async with self._db_lock:
            return await asyncio.to_thread(self._tx, fn, *args)

    def _tx(self, fn: Callable[..., T], *args: Any) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args)

    def _task(self, coro: Any, name: str) -> asyncio.Task[Any]:
        return asyncio.create_task(coro, name=name)
