"""The sender process: the lock, the tenures, and what runs for the whole process.

The process stands by until it takes the sender lock, then works one
:class:`~quizbot.sender.tenure.Tenure` until SIGTERM or until the lock is lost
(its session killed, the server restarted); after a lost lock it stands by
again, in the same process. Process-wide tasks: ``listener`` (LISTEN
quizbot_outbox, wakes the claimer; its session's name tells a standby this
process is alive, see ``leases.RECOVER_STALE``), ``status`` (the
``db_up``/``lock_held``/``token_rejected``/queue gauges and the
``program_status`` row) and ``meters`` (sends the summed metrics once a
second).

The database being away ends nothing: every call waits it out, and a
token Telegram rejects neither (see ``sender.token``). ``run`` returns 0
after SIGTERM and 1 only when a task died of a bug, so supervisor restarts
the sender.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from quizbot import logs, metrics
from quizbot.sender.delivery import Call
from quizbot.sender.lock import SenderLock
from quizbot.sender.meters import Meters
from quizbot.sender.ratelimit import Limits, RateLimiter
from quizbot.sender.tenure import Carried, Tenure
from quizbot.sender.token import TokenRejection
from quizbot.sender.uploads import Download, UploadRules
from quizbot.settings import Settings
from quizbot.store import leases, outage
from quizbot.store import outbox_queries as q
from quizbot.store.database import libpq_dsn
from quizbot.store.events import first_set
from quizbot.store.listen import Listener
from quizbot.store.outbox import OUTBOX_CHANNEL
from quizbot.store.program_status import DbState, StatusReporter

log = logging.getLogger(__name__)
T = TypeVar("T")


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
    # Short enough that "quizbot-sender:" + it fits an application_name (63 bytes).
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
        uploads: tuple[Download, UploadRules] | None = None,
        check_token: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.call = call
        # With a download function, the tenure also imports the quiz files users send.
        self.uploads = uploads
        # getMe before taking the lock: a sender whose token is rejected holds nothing.
        self.check_token = check_token
        self.me = sender_name()
        # Error texts from Telegram or the HTTP library can carry the token.
        self.scrub = logs.redactor(token)
        dsn = libpq_dsn(direct_url)
        self.lock = SenderLock(dsn, q.sender_lock_key(token), self.me)
        self.stop = asyncio.Event()
        self.wake = asyncio.Event()
        self.meters = meters or Meters(metrics.client())
        self.limiter = RateLimiter(config.limits, time.monotonic)
        self.token = TokenRejection()
        self.listener = Listener(
            dsn, OUTBOX_CHANNEL, self.wake.set, application_name=leases.listener_name(self.me)
        )
        self.db_state = DbState()
        self.tenure: Tenure | None = None
        self._db_lock = asyncio.Lock()
        self.claimed = 0
        self.tenures = 0

    async def run(self) -> int:
        """Run until :attr:`stop` is set or a task dies of a bug; 0 on a clean stop, 1 otherwise."""
        status = StatusReporter(
            self.engine,
            "sender",
            self.db_state,
            self.meters.gauge,
            state=self._state,
            lock_holder=lambda: self.lock.held,
            gauges=lambda: {"token_rejected": float(self.token.rejected)},
        )
        process_tasks = [
            asyncio.create_task(self.listener.run(self.stop), name="listener"),
            asyncio.create_task(status.run(self.stop), name="status"),
            asyncio.create_task(self._meter_loop(), name="meters"),
        ]
        carried: Carried = []
        died = False
        try:
            if self.check_token is not None:
                await self.token.wait_accepted(self.check_token, self.stop)
            while not died and not self.stop.is_set():
                if not await self.lock.acquire(self.stop):
                    break
                self.tenures += 1
                self.tenure = Tenure(
                    self, leases.Term(self.me, self.lock.generation, self.lock.key)
                )
                try:
                    died, carried = await self.tenure.run(carried)
                finally:
                    self.tenure = None
                    await self.lock.release()
        finally:
            self.stop.set()
            await asyncio.gather(*process_tasks, return_exceptions=True)
            self.meters.flush()
        return 1 if died else 0

    def _state(self) -> str:
        if not self.db_state.up:
            return "waiting for database"
        if self.token.rejected:
            return "token rejected by Telegram"
        if self.tenure is None:
            return "standby"
        return "sending" if self.tenure.results.writable() else "paused (results unwritten)"

    async def _meter_loop(self) -> None:
        while not await first_set(self.stop, within=self.config.metrics_s):
            self.meters.flush()

    async def retry(self, call: Callable[[], Awaitable[T]], stop: asyncio.Event, what: str) -> T:
        """``call()`` until it succeeds, waiting out database outages (see ``store.outage``)."""
        return await outage.retry(call, stop, what=f"sender {what}", on_state=self.db_state.set)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one transaction, taking turns with claims and writes.

        Claims and result writes take turns: each claim sees every result
        written before it (a retry's new due time, a block's dropped rows), and
        the sender keeps one pooled connection busy, not several.
        """
        async with self._db_lock:
            return await asyncio.to_thread(self._tx, fn, *args)

    async def query(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in a transaction of its own (lease upkeep, queue depth)."""
        return await asyncio.to_thread(self._tx, fn, *args)

    def _tx(self, fn: Callable[..., T], *args: Any) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args)
