"""The group commit: many answers, one transaction, one dedicated DB thread per worker.

A commit costs a WAL flush (fsync) whatever it holds, so one commit per answer
caps a 2-core machine at a few hundred answers a second. Here the event loop
queues each answer with a future and keeps serving; one thread takes whatever
has queued since its last flush, writes it with ONE multi-row statement
(``store.answers.GROUP_INSERT``) and commits. While it flushes, the next batch
builds up, so batches grow with load and the commit rate stays flat. A future
resolves only after COMMIT returned: a 200 means the answer is durable.

:class:`NaiveCommitter` (``COMMIT_MODE=naive``) commits each answer on its own
through a thread pool. It is kept for exactly one reason: the benchmark runs
it side by side with the group commit to show what the group commit buys.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy.engine import Connection, Engine

from quizbot.store.answers import AnswerIn, lookup_outcomes, poll_sessions, record_answers
from quizbot.store.updates import PlayerInfo, upsert_players
from quizbot.web.meter import Meter
from quizbot.web.verdicts import Verdict, classify

log = logging.getLogger(__name__)

# Longer than any healthy flush by orders of magnitude; shorter than Telegram's
# own patience, so a stuck database turns into a 503 and a retry, not a hang.
COMMIT_TIMEOUT_S = 10.0
# Batch size buckets for /monitoring/stats: upper bounds, inclusive.
BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


@dataclass(slots=True)
class Submission:
    """One answer waiting for its commit. Poll votes arrive with session_id -1."""

    answer: AnswerIn
    player: PlayerInfo
    poll_id: str | None = None


@dataclass
class CommitStats:
    """Figures of one worker's commits since it started."""

    mode: str
    batches: int = 0
    answers: int = 0
    failed_batches: int = 0
    flush_ms_total: float = 0.0
    flush_ms_max: float = 0.0
    largest_batch: int = 0
    sizes: dict[str, int] = field(default_factory=lambda: {f"<={b}": 0 for b in BUCKETS})

    def add(self, size: int, flush_ms: float, ok: bool) -> None:
        """Count one flush."""
        self.batches += 1
        if not ok:
            self.failed_batches += 1
            return
        self.answers += size
        self.flush_ms_total += flush_ms
        self.flush_ms_max = max(self.flush_ms_max, flush_ms)
        self.largest_batch = max(self.largest_batch, size)
        bucket = next((b for b in BUCKETS if size <= b), BUCKETS[-1])
        self.sizes[f"<={bucket}"] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures, with the mean batch size and flush time."""
        ok = self.batches - self.failed_batches
        return {
            "mode": self.mode,
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "answers": self.answers,
            "mean_batch": round(self.answers / ok, 2) if ok else 0.0,
            "largest_batch": self.largest_batch,
            "flush_ms_mean": round(self.flush_ms_total / ok, 3) if ok else 0.0,
            "flush_ms_max": round(self.flush_ms_max, 3),
            "batch_sizes": dict(self.sizes),
        }


def write_batch(conn: Connection, batch: list[Submission]) -> list[Verdict]:
    """Record a batch and name each answer's fate.

    ``conn`` is in autocommit: the group insert is one statement, hence its own
    transaction, durable when it returns. The rest only reads, except the
    player names of group members who joined by answering (refreshed by their
    next command if that write is lost).
    """
    verdicts: list[Verdict | None] = [None] * len(batch)
    answers = [sub.answer for sub in batch]
    polls = {sub.poll_id for sub in batch if sub.poll_id is not None}
    if polls:
        open_polls = poll_sessions(conn, sorted(polls))
        for i, sub in enumerate(batch):
            if sub.poll_id is None:
                continue
            if sub.poll_id not in open_polls:
                verdicts[i] = Verdict.UNKNOWN_POLL
                continue
            session_id, position = open_polls[sub.poll_id]
            answers[i] = replace(sub.answer, session_id=session_id, position=position)
    todo = [i for i, v in enumerate(verdicts) if v is None]
    recorded = record_answers(conn, [answers[i] for i in todo])
    if recorded.new_members:
        upsert_players(conn, (batch[todo[j]].player for j in recorded.new_members))
    refused = []
    for j, i in enumerate(todo):
        if j in recorded.accepted:
            verdicts[i] = Verdict.ACCEPTED
        else:
            refused.append(i)
    if refused:
        facts = lookup_outcomes(conn, [answers[i] for i in refused])
        for i, fact in zip(refused, facts, strict=True):
            verdicts[i] = classify(answers[i], fact)
    return [v if v is not None else Verdict.FORGED for v in verdicts]


class Committer(Protocol):
    """What the webhook needs from a commit strategy."""

    stats: CommitStats

    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...

    def submit(self, submission: Submission) -> asyncio.Future[Verdict]: ...

    async def stop(self) -> None: ...

    def queued(self) -> int: ...


_STOP = object()


class GroupCommitter:
    """Answers from the event loop, written in batches by one dedicated thread."""

    def __init__(self, engine: Engine, meter: Meter, *, max_batch: int, max_wait_ms: float) -> None:
        self.engine = engine
        self.meter = meter
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000.0
        self.stats = CommitStats(mode="group")
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._pending: set[asyncio.Future[Verdict]] = set()
        self._flush_started: float | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the DB thread and its watchdog; futures are resolved on ``loop``."""
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()
        self._watchdog = loop.create_task(self._watch(), name="group-commit-watchdog")

    def submit(self, submission: Submission) -> asyncio.Future[Verdict]:
        """Queue one answer; the future resolves after the commit that holds it."""
        assert self._loop is not None, "start() first"
        future: asyncio.Future[Verdict] = self._loop.create_future()
        self._pending.add(future)
        self._queue.put((submission, future))
        return future

    async def _watch(self) -> None:
        # One timer for all requests instead of a timeout per request (a timer
        # per answer costs more CPU than parsing the update). If a flush hangs
        # (a dead TCP peer, a stuck server), every waiting answer gets a 503 and
        # Telegram retries it later; should the flush still commit, the retry
        # finds its update id recorded and gets "locked in".
        while True:
            await asyncio.sleep(1.0)
            started = self._flush_started
            if started is not None and time.monotonic() - started > COMMIT_TIMEOUT_S:
                log.error(
                    "a flush has been running for %.0f s; failing its answers", COMMIT_TIMEOUT_S
                )
                for future in list(self._pending):
                    if not future.done():
                        future.set_exception(CommitFailed("commit timed out"))
                self._pending.clear()

    def queued(self) -> int:
        """Answers waiting for the next flush."""
        return self._queue.qsize()

    async def stop(self) -> None:
        """Flush what is queued, then end the thread (called after the last request)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join, 30)

    def _take(self) -> tuple[list[tuple[Submission, asyncio.Future[Verdict]]], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch:
            try:
                if self.max_wait_s > 0:
                    left = deadline - time.monotonic()
                    item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                else:
                    item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._take()
            if batch:
                self._flush(batch)
        if self._conn is not None:
            self._conn.close()

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            # Held for the worker's life: through pgbouncer in transaction mode it
            # occupies a server connection only while a flush's statement runs.
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _flush(self, batch: list[tuple[Submission, asyncio.Future[Verdict]]]) -> None:
        self._flush_started = time.monotonic()
        start = time.perf_counter()
        verdicts: list[Verdict] = []
        error: BaseException | None = None
        try:
            conn = self._connection()
            verdicts = write_batch(conn, [sub for sub, _ in batch])
            conn.commit()  # ends SQLAlchemy's bookkeeping; the statement committed itself
        except Exception as exc:  # the database is down or the batch failed: all get 5xx
            log.warning("group commit of %d answers failed: %s", len(batch), exc)
            error = exc
            self._discard_connection()
        flush_ms = (time.perf_counter() - start) * 1000.0
        self._flush_started = None
        self.stats.add(len(batch), flush_ms, error is None)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._settle, batch, verdicts, error, flush_ms)

    def _discard_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # already broken; nothing left to release
                pass
            self._conn = None

    def _settle(
        self,
        batch: list[tuple[Submission, asyncio.Future[Verdict]]],
        verdicts: list[Verdict],
        error: BaseException | None,
        flush_ms: float,
    ) -> None:
        record(self.meter, len(batch), flush_ms, verdicts, error)
        pending = self._pending
        for i, (_, future) in enumerate(batch):
            pending.discard(future)
            if future.done():  # failed by the watchdog, or the client went away
                continue
            if error is not None:
                future.set_exception(CommitFailed(str(error)))
            else:
                future.set_result(verdicts[i])


class CommitFailed(RuntimeError):
    """The commit holding an answer failed; the webhook answers 503 so Telegram retries."""


def record(
    meter: Meter, size: int, flush_ms: float, verdicts: list[Verdict], error: BaseException | None
) -> None:
    """statsd figures of one flush (on the event loop thread)."""
    if error is not None:
        meter.incr("commit.failed")
        return
    meter.timing("commit.batch_size", size)
    meter.timing("commit.flush_ms", flush_ms)
    for verdict in verdicts:
        meter.incr(f"answers.{verdict.value}")


class NaiveCommitter:
    """One transaction per answer, on a thread pool: the baseline the bench compares with."""

    def __init__(self, engine: Engine, meter: Meter, *, threads: int) -> None:
        self.engine = engine
        self.meter = meter
        self.stats = CommitStats(mode="naive")
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="naive-commit")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight = 0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the loop the futures belong to."""
        self._loop = loop

    def submit(self, submission: Submission) -> asyncio.Future[Verdict]:
        """Commit one answer on the pool; the future resolves after its commit."""
        assert self._loop is not None, "start() first"
        self._inflight += 1
        future = self._loop.run_in_executor(self._pool, self._commit_one, submission)
        future.add_done_callback(self._done(time.perf_counter()))
        return future

    def queued(self) -> int:
        """Answers submitted and not yet committed."""
        return self._inflight

    async def stop(self) -> None:
        """Wait for the answers in flight, then release the pool."""
        await asyncio.to_thread(self._pool.shutdown, True)

    def _commit_one(self, submission: Submission) -> Verdict:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                return write_batch(conn, [submission])[0]
        except Exception as exc:  # the database is down: the webhook answers 503
            raise CommitFailed(str(exc)) from exc

    def _done(self, start: float) -> Callable[[asyncio.Future[Verdict]], None]:
        def done(future: asyncio.Future[Verdict]) -> None:
            self._inflight -= 1
            flush_ms = (time.perf_counter() - start) * 1000.0
            error = None if future.cancelled() else future.exception()
            verdicts = [future.result()] if error is None and not future.cancelled() else []
            self.stats.add(1, flush_ms, error is None)
            record(self.meter, 1, flush_ms, verdicts, error)

        return done
