"""The game clock: find what is due, apply it, one transaction per transition.

:class:`Clock` is synchronous and takes ``now`` explicitly, so tests drive time
by passing it (deadlines in the past) instead of sleeping; the daemon runs it
in worker threads with ``now=None`` (the wall clock, read per claim).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import statsd
from sqlalchemy.engine import Connection, Engine

from quizbot.domain.game import GameRules
from quizbot.store import outbox
from quizbot.store.outage import is_transient
from quizbot.writer import sessions
from quizbot.writer.transitions import Applied, QuizCache, apply

log = logging.getLogger(__name__)

# A session whose transition raised is left alone for a while (1 s, doubling up
# to 30 s), so one broken session cannot stall the clock for every other one;
# after ``max_tries`` failures in a row it is ended (abandoned, its chat told).
QUARANTINE_FIRST_S = 1.0
QUARANTINE_S = 30.0
ENDED_BY_ERROR_TEXT = (
    "This game was stopped by an error on our side. Sorry! Send /play or /live to start another."
)


def utcnow() -> datetime:
    """The wall clock, timezone-aware, as the rules require."""
    return datetime.now(UTC)


class TransitionFailed(RuntimeError):
    """Applying a claimed session's transition raised; the session is quarantined."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"transition of session {session_id} failed")
        self.session_id = session_id


class Clock:
    """Claims due sessions and applies their transitions.

    ``on_applied`` is called after each commit with the transition and the
    wall-clock time of the commit (seconds since the epoch).
    """

    def __init__(
        self,
        engine: Engine,
        rules: GameRules,
        *,
        top_n: int = 10,
        metrics: statsd.StatsClient | None = None,
        on_applied: Callable[[Applied, float], None] | None = None,
        max_tries: int = 5,
        quarantine_first_s: float = QUARANTINE_FIRST_S,
        statement_timeout_ms: int = 60_000,
    ) -> None:
        self.engine = engine
        self.statement_timeout_ms = statement_timeout_ms
        self.max_tries = max_tries
        self.quarantine_first_s = quarantine_first_s
        self.rules = rules
        self.top_n = top_n
        self.metrics = metrics
        self.on_applied = on_applied
        self.quizzes = QuizCache()
        self._quarantine: dict[int, float] = {}
        self._lock = threading.Lock()

    def step_one(
        self, now: datetime | None = None, skip: list[int] | None = None
    ) -> Applied | None:
        """Claim one session that needs a transition and apply it, in one transaction.

        Returns ``None`` when nothing is due (or everything due is locked by
        another writer right now). Raises :class:`TransitionFailed` when the
        transition itself raised (the transaction is rolled back).
        """
        at = now or utcnow()
        avoid = [*(skip or []), *self._quarantined()]
        started = time.perf_counter()
        # Commit only a transition: an empty claim rolls back, so an idle writer's
        # polls add nothing to the database's commit count.
        with self.engine.connect() as conn:
            # A finish writes every player's results in this one transaction: it
            # gets a longer statement timeout than an answer (SET LOCAL: it ends
            # with the transaction, so pgbouncer's pooling is safe).
            sessions.set_statement_timeout(conn, self.statement_timeout_ms)
            row = sessions.claim_due(conn, at, avoid)
            if row is None:
                idle_before = at - timedelta(seconds=self.rules.abandon_after_s)
                row = sessions.claim_requested(conn, idle_before, avoid)
            if row is None:
                return None
            try:
                applied = apply(conn, row, at, self.rules, self.quizzes, top_n=self.top_n)
            except Exception as exc:
                if is_transient(exc):
                    raise
                conn.rollback()
                self._failed(conn, row.id)
                raise TransitionFailed(row.id) from exc
            if applied is None:
                applied = Applied(row.id, "None", "noop", False, None, None, 0)
            conn.commit()
        committed = time.time()
        self._report(applied, committed, time.perf_counter() - started)
        return applied

    def run_due(
        self, now: datetime | None = None, stop: threading.Event | None = None, limit: int = 10_000
    ) -> list[Applied]:
        """Apply transitions until nothing is due, ``stop`` is set or ``limit`` is reached.

        A session left unchanged (a refused request, nothing to do, a failure) is
        not claimed again in the same pass, so a pass always ends.
        """
        done: list[Applied] = []
        skip: list[int] = []
        while len(done) < limit and not (stop is not None and stop.is_set()):
            try:
                applied = self.step_one(now, skip)
            except TransitionFailed as failed:
                skip.append(failed.session_id)
                continue
            if applied is None:
                break
            done.append(applied)
            if applied.kind in ("refused", "noop"):
                skip.append(applied.session_id)
        return done

    def _failed(self, conn: Connection, session_id: int) -> None:
        """Count a failed transition: quarantine the session, or end it after ``max_tries``."""
        failures = sessions.record_failure(conn, session_id)
        if self.metrics is not None:
            self.metrics.incr("transitions.failed")
        if failures >= self.max_tries:
            chat_id = sessions.end_by_error(conn, session_id)
            if chat_id is not None:
                text = {"chat_id": chat_id, "text": ENDED_BY_ERROR_TEXT}
                outbox.enqueue(
                    conn, [outbox.Message(chat_id, "sendMessage", text, session_id=session_id)]
                )
                outbox.notify(conn)
            conn.commit()
            log.exception(
                "session %s: transition failed %d times; game ended", session_id, failures
            )
            if self.metrics is not None:
                self.metrics.incr("transitions.ended_by_error")
            return
        conn.commit()
        pause = min(QUARANTINE_S, self.quarantine_first_s * 2 ** max(0, failures - 1))
        log.exception(
            "session %s: transition failed (%d of %d); retrying in %.0f s",
            session_id,
            failures,
            self.max_tries,
            pause,
        )
        with self._lock:
            self._quarantine[session_id] = time.monotonic() + pause

    def seconds_until_next(self, now: datetime | None = None) -> float | None:
        """Seconds until the earliest live deadline (negative if overdue), or None."""
        with self.engine.connect() as conn:
            deadline = sessions.next_deadline(conn, self._quarantined())
        if deadline is None:
            return None
        return (deadline - (now or utcnow())).total_seconds()

    def _quarantined(self) -> list[int]:
        clock = time.monotonic()
        with self._lock:
            for session_id in [s for s, until in self._quarantine.items() if until <= clock]:
                del self._quarantine[session_id]
            return list(self._quarantine)

    def _report(self, applied: Applied, committed: float, elapsed_s: float) -> None:
        if self.metrics is not None:
            self.metrics.incr(f"transitions.{applied.kind}")
            self.metrics.timing("transition", elapsed_s * 1000)
            if applied.deadline is not None:
                self.metrics.timing("due_lag", (committed - applied.deadline.timestamp()) * 1000)
            if applied.finish_s is not None:
                self.metrics.timing("finish", applied.finish_s * 1000)
        if self.on_applied is not None:
            self.on_applied(applied, committed)
