"""One tenure of the sender lock: claim, deliver, record, until the lock or the process ends.

A tenure starts when the sender takes the lock (a new generation) and ends on
SIGTERM, when the lock is lost, or when a task dies of a bug. Tasks (named, so a
traceback says which one died):

- ``claimer``: claims due rows into the lanes while they have room, on a
  notification or every ``poll_s``;
- ``worker-N``: SENDER_WORKERS of them, each delivering one row at a time;
- ``results``: writes delivery results, one transaction per batch;
- ``lease-keeper``: extends this tenure's leases every ``lease_s``/3, returns
  stale claims (expired, or of a sender that is gone) every second, and
  reports queue depth;
- ``lock-keeper``: pings the lock's session;
- ``uploads``: when the sender has a download function, the quiz files users
  sent (:mod:`quizbot.sender.uploads`).

A database outage ends nothing: every call waits it out with backoff
(``store.outage``), and the workers send nothing while results cannot be
written. Ending (stop, lost lock): claim nothing more, let in-flight sends
finish (up to ``drain_s``), write the results, give the unsent claims back.
Results that cannot be written now are handed to the next tenure, which
writes them first (the rows are still claimed under this tenure's generation).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from quizbot.sender.delivery import Delivery
from quizbot.sender.lanes import Lanes
from quizbot.sender.results import Entry, ResultBuffer, write
from quizbot.sender.uploads import UploadWorker
from quizbot.store import leases
from quizbot.store import outbox_queries as q
from quizbot.store.events import first_set
from quizbot.store.outage import Stopped, is_transient

if TYPE_CHECKING:
    from quizbot.sender.daemon import Sender

log = logging.getLogger(__name__)
T = TypeVar("T")
# Rows of one chat held in its lane at most: a chat's backlog (one message a
# second at Telegram's pace) must not fill the sender while other chats wait.
CHAT_WINDOW = 10
# How often stale claims are looked for (a crashed sender's rows come back this fast).
RECOVER_EVERY_S = 1.0

Carried = list[tuple[leases.Term, list[Entry]]]


class Tenure:
    """The sender's work while it holds the lock under one generation."""

    def __init__(self, sender: Sender, term: leases.Term) -> None:
        self.s = sender
        self.term = term
        c = sender.config
        self.ending = asyncio.Event()
        self.lanes = Lanes(sender.limiter.chat_ready_at, time.monotonic)
        self.results = ResultBuffer(
            self._write,
            max_batch=c.batch_size,
            max_wait_s=c.flush_wait_s,
            scrub=sender.scrub,
        )
        self.delivery = Delivery(
            call=sender.call,
            lanes=self.lanes,
            limiter=sender.limiter,
            token=sender.token,
            results=self.results,
            meters=sender.meters,
            max_attempts=c.max_attempts,
            paid_broadcast=c.paid_broadcast,
            stop=self.ending,
        )

    async def run(self, carried: Carried) -> tuple[bool, Carried]:
        """Work until stop or lost lock; (whether a task died, results left unwritten)."""
        s = self.s
        end = self._task(self._end_on_stop_or_lost_lock(), "end")
        try:
            await self._db_retry(self._settle, carried, what="taking over")
        except Stopped:
            end.cancel()
            return False, carried
        c = s.config
        workers = [self._task(self.delivery.work(), f"worker-{i}") for i in range(c.workers)]
        others = [
            self._task(self._claim_loop(), "claimer"),
            self._task(self.results.run(self.ending), "results"),
            self._task(self._lease_loop(), "lease-keeper"),
            self._task(s.lock.keep(self.ending), "lock-keeper"),
        ]
        if s.uploads is not None:
            worker = UploadWorker(s, *s.uploads)
            others.append(self._task(worker.run(self.ending), "uploads"))
        done, _ = await asyncio.wait([end, *workers, *others], return_when="FIRST_COMPLETED")
        died = [t for t in done if t is not end and _failed(t)]
        for task in died:
            log.error("sender task %s ended unexpectedly: %r", task.get_name(), task.exception())
        if s.lock.lost.is_set() and not s.stop.is_set():
            log.warning("the sender lock's session is gone: sending stopped; standing by")
        self.ending.set()
        self.lanes.close()
        end.cancel()
        return bool(died), await self._drain(workers, others)

    async def _end_on_stop_or_lost_lock(self) -> None:
        await first_set(self.s.stop, self.s.lock.lost)
        self.ending.set()

    async def _settle(self, carried: Carried) -> None:
        # Results an earlier tenure could not write: those sends happened.
        for term, entries in carried:
            await self.s.db(write, term, entries)
        carried.clear()
        released = await self.s.db(leases.release_mine, self.term.me)
        stale = await self.s.db(leases.recover_stale, self.term)
        # Each returned claim may have been sent already: an upper bound on duplicates.
        self.s.meters.incr("claims.recovered", stale)
        log.info(
            "sender %s holds the lock (generation %d); %d own and %d stale claims returned",
            self.term.me,
            self.term.gen,
            released,
            stale,
        )

    async def _drain(
        self, workers: list[asyncio.Task[None]], others: list[asyncio.Task[Any]]
    ) -> Carried:
        _, late = await asyncio.wait(workers, timeout=self.s.config.drain_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*workers, *others, return_exceptions=True)
        written = await self.results.drain()
        unsent = len(self.lanes.take_all())
        left = self.results.take()
        released: int | str = "no"
        try:
            released = await self.s.db(leases.release_mine, self.term.me)
        except Exception as exc:
            if not is_transient(exc):
                raise
        log.info(
            "sender tenure %d ended: results %s, %d queued rows (%s claims) given back",
            self.term.gen,
            "written" if written else f"NOT written ({len(left)} kept for later)",
            unsent,
            released,
        )
        return [(self.term, left)] if left else []

    async def _claim_loop(self) -> None:
        s, c = self.s, self.s.config
        room_for = 4 * c.batch_size
        while not self.ending.is_set():
            s.wake.clear()
            room = room_for - self.lanes.depth - self.lanes.in_flight
            want = min(c.batch_size, room) if self.results.writable() else 0
            if want > 0:
                full = self.lanes.full(CHAT_WINDOW)
                try:
                    claim = await self._db_retry(
                        s.db, q.claim, self.term, want, c.lease_s, full, what="claim"
                    )
                except Stopped:
                    return
                s.claimed += len(claim.rows)
                self.lanes.add(claim.rows)
                for _, method in claim.dropped_blocked:
                    s.meters.incr(f"send.{method}.blocked")
                if claim.rows or claim.dropped_blocked:
                    # A claim takes one row per chat: the next ones may be claimable now.
                    continue
            timeout = c.poll_s if want > 0 else min(c.poll_s, 0.05)
            await first_set(s.wake, self.ending, within=timeout)

    async def _lease_loop(self) -> None:
        s, c = self.s, self.s.config
        extend_every = max(0.2, c.lease_s / 3)
        extended_at = time.monotonic()
        while not self.ending.is_set():
            try:
                if time.monotonic() - extended_at >= extend_every:
                    await self._db_retry(
                        s.query, leases.extend_leases, self.term, c.lease_s, what="lease"
                    )
                    extended_at = time.monotonic()
                recovered = await self._db_retry(
                    s.query, leases.recover_stale, self.term, what="recover"
                )
                pending = await self._db_retry(s.query, q.pending_count, what="queue depth")
                oldest = await self._db_retry(s.query, q.oldest_pending_s, what="queue age")
            except Stopped:
                return
            if recovered:
                log.warning("%d stale claims returned to pending", recovered)
                s.meters.incr("claims.recovered", recovered)
            s.meters.gauge("queue.pending", pending)
            s.meters.gauge("queue.oldest_pending_s", oldest or 0.0)
            s.meters.gauge("queue.claimed", self.lanes.depth + self.lanes.in_flight)
            s.meters.gauge("queue.held", self.lanes.held_rows())
            s.limiter.forget_idle()
            await first_set(self.ending, within=min(RECOVER_EVERY_S, extend_every))

    async def _write(self, entries: list[Entry]) -> None:
        try:
            await self.s.db(write, self.term, entries)
        except Exception as exc:
            if is_transient(exc):
                self.s.db_state.set(False)
            raise
        self.s.db_state.set(True)

    async def _db_retry(self, fn: Callable[..., Awaitable[T]], *args: Any, what: str) -> T:
        return await self.s.retry(lambda: fn(*args), self.ending, what)

    def _task(self, coro: Any, name: str) -> asyncio.Task[Any]:
        return asyncio.create_task(coro, name=name)


def _failed(task: asyncio.Task[Any]) -> bool:
    if task.cancelled():
        return False
    exc = task.exception()
    return exc is not None and not isinstance(exc, Stopped)
