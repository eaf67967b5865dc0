"""The group commit: many answers, one transaction, one dedicated DB thread per worker.

A commit costs a WAL flush (fsync) whatever it holds, so one commit per answer
caps a 2-core machine at a few hundred answers a second. Here the event loop
queues each answer with a future and keeps serving; one thread takes whatever
has queued since its last flush, writes it with ONE multi-row statement
(``store.answers.RECORD_ANSWERS``) and commits. While it flushes, the next batch
builds up, so batches grow with load and the commit rate stays flat. A future
resolves only after COMMIT returned: a 200 means the answer is durable.

``COMMIT_MODE=naive`` swaps in :class:`quizbot.web.naive.NaiveCommitter`, one
commit per answer, kept only for the benchmark's side-by-side comparison.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.engine import Connection, Engine

from quizbot.store import held_votes
from quizbot.store.answers import (
    AnswerIn,
    lookup_outcomes,
    record_answers,
    unlocked_sessions,
)
from quizbot.store.polls import PollMap
from quizbot.store.updates import PlayerInfo, upsert_players
from quizbot.web.commit_stats import CommitStats, record
from quizbot.web.meter import Meter
from quizbot.web.salvage import CommitFailed, Outcome, StuckSessions, salvage
from quizbot.web.verdicts import Verdict, classify

log = logging.getLogger(__name__)

# Longer than any healthy flush by orders of magnitude; shorter than Telegram's
# own patience, so a stuck database turns into a 503 and a retry, not a hang.
COMMIT_TIMEOUT_S = 10.0


@dataclass(slots=True)
class Submission:
    """One answer waiting for its commit. Poll votes arrive with session_id -1."""

    answer: AnswerIn
    player: PlayerInfo
    poll_id: str | None = None


def write_batch(
    conn: Connection, batch: list[Submission], polls: PollMap | None = None
) -> list[Verdict]:
    """Record a batch and name each answer's fate; ``polls`` remembers poll questions.

    ``conn`` is in autocommit: the group insert is one statement, hence its own
    transaction, durable when it returns. The rest only reads, except the
    player names of group members who joined by answering (refreshed by their
    next command if that write is lost).
    """
    verdicts: list[Verdict | None] = [None] * len(batch)
    answers = [sub.answer for sub in batch]
    if any(sub.poll_id is not None for sub in batch):
        _place_votes(conn, batch, answers, verdicts, polls or PollMap())
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


def _place_votes(
    conn: Connection,
    batch: list[Submission],
    answers: list[AnswerIn],
    verdicts: list[Verdict | None],
    polls: PollMap,
) -> None:
    """Give each poll vote of ``batch`` its session and question (in ``answers``), or
    hold it while its poll id is not recorded yet (``Verdict.HELD``)."""
    votes = {i: sub.poll_id for i, sub in enumerate(batch) if sub.poll_id is not None}
    known = polls.find(conn, sorted(set(votes.values())))
    unknown = [i for i, poll_id in votes.items() if poll_id not in known]
    if unknown:
        # The sender records a poll id ~0.1 s after sendPoll returned it; a vote
        # quicker than that is held with its receive time, not lost.
        found = held_votes.hold(conn, [(votes[i], answers[i]) for i in unknown])
        polls.remember(found)
        known.update(found)
        upsert_players(conn, (batch[i].player for i in unknown if votes[i] not in known))
    for i, poll_id in votes.items():
        if poll_id not in known:
            verdicts[i] = Verdict.HELD
            continue
        session_id, position = known[poll_id]
        answers[i] = replace(answers[i], session_id=session_id, position=position)


class Committer(Protocol):
    """What the webhook needs from a commit strategy."""

    stats: CommitStats

    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...

    def submit(self, submission: Submission) -> asyncio.Future[Verdict]: ...

    async def stop(self) -> None: ...

    def queued(self) -> int: ...

    def alive(self) -> bool: ...


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
        self._stuck = StuckSessions()
        self._polls = PollMap()

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

    def alive(self) -> bool:
        """Whether the DB thread runs and no flush has hung past the timeout."""
        started = self._flush_started
        hung = started is not None and time.monotonic() - started > COMMIT_TIMEOUT_S
        return self._thread is not None and self._thread.is_alive() and not hung

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

    def _write(self, batch: Sequence[Submission]) -> list[Verdict]:
        try:
            conn = self._connection()
            verdicts = write_batch(conn, list(batch), self._polls)
            conn.commit()  # ends SQLAlchemy's bookkeeping; the statement committed itself
            return verdicts
        except Exception:
            self._discard_connection()
            raise

    def _unlocked(self, batch: Sequence[Submission]) -> list[bool]:
        # Poll votes (session -1) learn their session inside write_batch; they go along.
        ids = sorted({sub.answer.session_id for sub in batch if sub.answer.session_id >= 0})
        try:
            free = unlocked_sessions(self._connection(), ids) if ids else set()
        except Exception:
            self._discard_connection()
            raise
        self._stuck.seen((sid for sid in ids if sid not in free), free)
        return [sub.answer.session_id < 0 or sub.answer.session_id in free for sub in batch]

    def _write_unstuck(self, batch: list[Submission]) -> list[Outcome]:
        """Write ``batch``, first turning away answers for sessions known to be locked."""
        if not self._stuck.suspects(sub.answer.session_id for sub in batch):
            return list(self._write(batch))
        free = self._unlocked(batch)
        rest = [sub for sub, ok in zip(batch, free, strict=True) if ok]
        verdicts = iter(self._write(rest) if rest else [])
        stuck = CommitFailed("its session is locked")
        return [next(verdicts) if ok else stuck for ok in free]

    def _flush(self, batch: list[tuple[Submission, asyncio.Future[Verdict]]]) -> None:
        self._flush_started = time.monotonic()
        start = time.perf_counter()
        subs = [sub for sub, _ in batch]
        outcomes: list[Outcome]
        try:
            outcomes = self._write_unstuck(subs)
        except Exception as exc:  # see quizbot.web.salvage for who gets what
            outcomes = salvage(subs, exc, self._write, self._unlocked)
        flush_ms = (time.perf_counter() - start) * 1000.0
        self._flush_started = None
        ok = not any(isinstance(o, CommitFailed) for o in outcomes)
        self.stats.add(len(batch), flush_ms, ok)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._settle, batch, outcomes, flush_ms)

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
        outcomes: list[Outcome],
        flush_ms: float,
    ) -> None:
        record(self.meter, len(batch), flush_ms, outcomes)
        pending = self._pending
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            pending.discard(future)
            if future.done():  # failed by the watchdog, or the client went away
                continue
            if isinstance(outcome, CommitFailed):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
