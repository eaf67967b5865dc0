"""The writer daemon: a listener task and clock workers, with a clean shutdown.

Tasks (named, for logs and ``asyncio`` debugging):

- ``writer-listener`` sets the wake event on ``NOTIFY quizbot_clock``
  (``store.listen``);
- ``writer-status`` reports ``db_up`` and the ``program_status`` row;
- ``writer-housekeeping`` prunes expired update ids, held poll votes, answered upload
  requests and old delivered outbox rows every ``HOUSEKEEPING_S``;
- ``writer-clock-<n>`` run the clock in a thread (the work is database-bound
  and synchronous), then sleep until the next deadline, the wake event or the
  poll interval, whichever comes first. Several workers share the due
  sessions through ``SKIP LOCKED``, so a long finish does not hold up the
  other sessions' deadlines.

A database outage ends nothing: every task waits it out with backoff (0.2 s
doubling to 2 s, ``store.outage``) and carries on when the database is back.
SIGTERM (or SIGINT) sets the stop event: each worker finishes the transition it
is in, and the process exits 0. If any task dies (a bug), the others are stopped
the same way and the process exits 1, so supervisor restarts it; a transition
that was due is simply done by the next writer, since nothing is lost on a crash.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from quizbot import metrics
from quizbot.settings import Settings
from quizbot.store import housekeeping
from quizbot.store.database import direct_session_url, engine_for, libpq_dsn, process_tag
from quizbot.store.events import first_set
from quizbot.store.listen import Listener
from quizbot.store.outage import Stopped, retry
from quizbot.store.outbox import CLOCK_CHANNEL
from quizbot.store.program_status import DbState, StatusReporter
from quizbot.writer.clock import Clock
from quizbot.writer.transitions import Applied

log = logging.getLogger(__name__)
T = TypeVar("T")

# Below supervisor's stopwaitsecs (30 s), so a drain ends before SIGKILL could.
DRAIN_S = 20.0
# Something overdue is locked by another worker or writer: look again soon.
BUSY_RETRY_S = 0.02
HOUSEKEEPING_S = 600.0


class Writer:
    """One writer process: ``await Writer(settings).serve()`` runs it until SIGTERM."""

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int = 2,
        on_applied: Callable[[Applied, float], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("the writer needs at least one clock worker")
        self.settings = settings
        self.workers = workers
        self.on_applied = on_applied
        self.stop = asyncio.Event()
        self._thread_stop = threading.Event()
        self.clock: Clock | None = None
        self.db = DbState()

    async def serve(self) -> int:
        """Run until stopped; 0 after a clean stop, 1 if a task died."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        statsd = metrics.configure(self.settings, "writer")
        engine, urls = await asyncio.to_thread(
            engine_for, self.settings, "writer", pool_size=self.workers + 2, max_overflow=0
        )
        self.clock = Clock(
            engine,
            self.settings.game_rules(),
            metrics=statsd,
            on_applied=self.on_applied,
            max_tries=self.settings.transition_max_tries,
            statement_timeout_ms=self.settings.writer_statement_timeout_ms,
        )
        wake = asyncio.Event()
        listener = Listener(
            libpq_dsn(direct_session_url(urls.direct, self.settings)),
            CLOCK_CHANNEL,
            wake.set,
            application_name=process_tag("writer-listen"),
        )
        status = StatusReporter(
            engine,
            "writer",
            self.db,
            statsd.gauge,
            state=lambda: "running" if self.db.up else "waiting for database",
        )
        tasks = [
            asyncio.create_task(listener.run(self.stop), name="writer-listener"),
            asyncio.create_task(status.run(self.stop), name="writer-status"),
        ]
        tasks += [
            asyncio.create_task(self._work(self.clock, wake), name=f"writer-clock-{n}")
            for n in range(1, self.workers + 1)
        ]
        tasks.append(asyncio.create_task(self._housekeeping(engine), name="writer-housekeeping"))
        stopped = asyncio.create_task(self.stop.wait(), name="writer-stop")
        log.info(
            "writer started: %d clock workers, polling every %d ms",
            self.workers,
            self.settings.writer_poll_ms,
        )
        await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        # A task that ended before the stop event died, whatever its result. Once
        # stop is set, tasks end because of it, possibly in the same loop turn as
        # the stop waiter: those did not die.
        ended_early = set() if self.stop.is_set() else {task for task in tasks if task.done()}
        self.stop.set()
        self._thread_stop.set()
        _, late = await asyncio.wait(tasks, timeout=DRAIN_S)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        stopped.cancel()
        died = False
        for task in tasks:
            exc = None if task.cancelled() else task.exception()
            if exc is not None or task in ended_early:
                log.error("task %s died: %r", task.get_name(), exc, exc_info=exc)
                died = True
        await asyncio.to_thread(engine.dispose)
        log.info("writer stopped%s", " after a task died" if died else "")
        return 1 if died else 0

    async def _retry(self, fn: Callable[..., T], *args: Any, what: str) -> T:
        """``fn(*args)`` in a thread, until it succeeds: a database outage is waited out."""
        return await retry(
            lambda: asyncio.to_thread(fn, *args), self.stop, what=what, on_state=self.db.set
        )

    async def _housekeeping(self, engine: Engine) -> None:
        while not self.stop.is_set():
            try:
                pruned = await self._retry(housekeeping.prune, engine, what="housekeeping")
            except Stopped:
                return
            if any(pruned):
                log.info(
                    "pruned %d update ids, %d outbox rows, %d held votes and %d upload requests",
                    *pruned,
                )
            await first_set(self.stop, within=HOUSEKEEPING_S)

    async def _work(self, clock: Clock, wake: asyncio.Event) -> None:
        poll_s = self.settings.writer_poll_ms / 1000
        while not self.stop.is_set():
            wake.clear()
            try:
                await self._retry(clock.run_due, None, self._thread_stop, what="clock")
                until = await self._retry(clock.seconds_until_next, what="clock")
            except Stopped:
                return
            if until is None:
                timeout = poll_s
            elif until <= 0:
                timeout = BUSY_RETRY_S
            else:
                # Sleep exactly until the next deadline, so it is applied on time.
                timeout = min(until, poll_s)
            await first_set(wake, self.stop, within=timeout)


def run(settings: Settings, *, workers: int = 2) -> int:
    """Run a writer in this process until SIGTERM; returns the exit status."""
    return asyncio.run(Writer(settings, workers=workers).serve())
