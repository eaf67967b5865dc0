"""One transaction per answer: the baseline the benchmark measures the group commit against.

``COMMIT_MODE=naive`` is what a webhook usually does: each request takes a pooled
connection on a thread and commits its own answer in its own transaction
(``with engine.begin()``: BEGIN, the statement, COMMIT). It exists for one
reason: ``quizbot bench ingest`` runs it side by side with the group commit, so
the difference is measured, not claimed. The statement is the same one the
group commit sends; only the commit strategy differs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from quizbot.store.database import describe_error
from quizbot.web.commit_stats import CommitStats, record
from quizbot.web.committer import Submission, write_batch
from quizbot.web.meter import Meter
from quizbot.web.salvage import CommitFailed
from quizbot.web.verdicts import Verdict


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

    def alive(self) -> bool:
        """The pool's threads start on demand; there is nothing to be dead."""
        return True

    def queued(self) -> int:
        """Answers submitted and not yet committed."""
        return self._inflight

    async def stop(self) -> None:
        """Wait for the answers in flight, then release the pool."""
        await asyncio.to_thread(self._pool.shutdown, True)

    def _commit_one(self, submission: Submission) -> Verdict:
        try:
            # The idiom of a usual webhook: BEGIN, the statement, COMMIT, per request.
            with self.engine.begin() as conn:
                return write_batch(conn, [submission])[0]
        except Exception as exc:  # the database is down: the webhook answers 503
            raise CommitFailed(describe_error(exc)) from exc

    def _done(self, start: float) -> Callable[[asyncio.Future[Verdict]], None]:
        def done(future: asyncio.Future[Verdict]) -> None:
            self._inflight -= 1
            flush_ms = (time.perf_counter() - start) * 1000.0
            error = CommitFailed("cancelled") if future.cancelled() else future.exception()
            outcome = future.result() if error is None else error
            self.stats.add(1, flush_ms, error is None)
            record(self.meter, 1, flush_ms, [outcome])

        return done
