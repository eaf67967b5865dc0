"""statsd figures of the web tier, aggregated in-process and flushed once a second.

A UDP packet per request would cost a system call on the hot path thousands of
times a second; counting in a dict and flushing a pipeline each second costs a
few hundred nanoseconds per event. Counters are exact. Timers keep at most
``TIMER_CAP`` samples per name and interval, so at high rates statsd sees a
uniform sample of latencies (their count is not a request count: use the
counters for that).

Everything here runs on the event loop thread (the group committer hands its
figures over through ``call_soon_threadsafe``), so no lock is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quizbot import metrics
from quizbot.settings import Settings

log = logging.getLogger(__name__)

TIMER_CAP = 500
FLUSH_INTERVAL_S = 1.0

# Fixed route names keep the metric names bounded whatever paths clients try.
ROUTES = {"/telegram/webhook": "webhook", "/health": "health", "/monitoring/stats": "stats"}
# Routes that call Meter.request themselves: the webhook knows its status
# without wrapping ``send``, which saves a closure and a coroutine per update.
SELF_METERED = frozenset({"/telegram/webhook"})


class Meter:
    """Counters and timers of one worker, sent to statsd by :meth:`run`."""

    def __init__(self) -> None:
        self.counters: defaultdict[str, int] = defaultdict(int)
        self.timers: defaultdict[str, list[float]] = defaultdict(list)
        self._seen: defaultdict[str, int] = defaultdict(int)
        self.totals: defaultdict[str, int] = defaultdict(int)  # since start, for /monitoring

    def incr(self, name: str, count: int = 1) -> None:
        """Add ``count`` to counter ``name``."""
        self.counters[name] += count
        self.totals[name] += count

    def request(self, route: str, status: int, started: float) -> None:
        """Count one HTTP request of ``route`` and time it from ``started`` (perf_counter)."""
        self.incr(f"http.{route}.{status}")
        self.timing(f"http.{route}", (time.perf_counter() - started) * 1000.0)

    def timing(self, name: str, value: float) -> None:
        """Record one timer sample (reservoir-sampled beyond ``TIMER_CAP`` per interval)."""
        samples = self.timers[name]
        seen = self._seen[name] = self._seen[name] + 1
        if len(samples) < TIMER_CAP:
            samples.append(value)
        else:
            slot = random.randrange(seen)
            if slot < TIMER_CAP:
                samples[slot] = value

    def flush(self) -> None:
        """Send what was gathered since the last flush, in as few packets as fit."""
        if not self.counters and not self.timers:
            return
        pipe = metrics.client().pipeline()
        for name, count in self.counters.items():
            pipe.incr(name, count)
        for name, samples in self.timers.items():
            for value in samples:
                pipe.timing(name, value)
        self.counters.clear()
        self.timers.clear()
        self._seen.clear()
        try:
            pipe.send()
        except OSError as exc:  # no route to the receiver: metrics must never break serving
            log.debug("statsd flush failed: %s", exc)

    async def run(self, settings: Settings) -> None:
        """Configure the client for this worker and flush every second until cancelled."""
        metrics.configure(settings, "web")
        try:
            while True:
                await asyncio.sleep(FLUSH_INTERVAL_S)
                self.flush()
        finally:
            self.flush()


class MeterMiddleware:
    """Pure ASGI middleware: request count and time by route and status."""

    def __init__(self, app: ASGIApp, meter: Meter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in SELF_METERED:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.meter.request(ROUTES.get(scope["path"], "other"), status, start)


@contextlib.asynccontextmanager
async def flushing(meter: Meter, settings: Settings) -> AsyncIterator[Meter]:
    """Run the meter's flush task for the lifetime of the block."""
    task = asyncio.create_task(meter.run(settings), name="statsd-flush")
    try:
        yield meter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
