"""Where the read-only paths read: a streaming replica while it is fresh, else the primary.

With ``DATABASE_READ_URL`` set, ``/top``, ``/me`` and the reads behind
``/monitoring/stats`` go through :class:`ReadRouter`. It sends a read to the
replica only while the replica's last check said it answers and lags by at most
``READ_MAX_LAG_S``; otherwise, and when a replica read fails, the read runs on
the primary. The hot path (answers, transitions, the outbox) never comes here:
it uses the primary engine directly.

The check is cached for ``check_every_s`` (1 s) so a read does not pay a lag
query; one thread refreshes it while the others use the last answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from quizbot.settings import Settings
from quizbot.store.database import create_engine, normalize_url, process_tag

log = logging.getLogger(__name__)

T = TypeVar("T")

# Replay lag that does not grow on an idle primary. The writer upserts its
# program_status row every second (store.program_status), so on the replica
# now() - that row's updated_at is how far behind the replica is, give or take
# that second, whether or not anyone plays; it also grows when the standby is
# cut off from its primary without noticing. (It compares the primary's clock,
# stored in the row, with the replica's: keep both on NTP.)
# With no writer row at all (no writer ever ran), the standby's own view: 0 s
# once it has replayed all the WAL it received, else the age of the last
# replayed commit; without a WAL receiver it cannot know: NULL, which the
# router treats as too stale. Every function used is open to unprivileged users.
REPLICA_LAG = sa.text(
    """
    SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0.0 ELSE coalesce(
      (SELECT EXTRACT(EPOCH FROM now() - max(updated_at)) FROM program_status
       WHERE program = 'writer'),
      CASE
        WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN NULL
        WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0.0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
      END)
    END
    """
)


def replica_lag_s(conn: Connection) -> float | None:
    """Seconds the server behind ``conn`` is behind its primary (0.0 for a primary).

    ``None`` when a standby cannot know: no writer heartbeat and no WAL receiver.
    """
    lag = conn.scalar(REPLICA_LAG)
    return None if lag is None else max(0.0, float(lag))


@dataclass(frozen=True)
class ReplicaCheck:
    """The last look at the replica: usable or not, its lag, why not."""

    usable: bool
    lag_s: float | None
    error: str | None
    at: float


class ReadRouter:
    """Runs a read on the replica while it is fresh, on the primary otherwise."""

    def __init__(
        self,
        primary: Engine,
        replica: Engine | None,
        *,
        max_lag_s: float,
        check_every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checking = False
        self._last: ReplicaCheck | None = None
        self.reads = {"replica": 0, "primary": 0}

    def read(
        self,
        fn: Callable[[Connection], T],
        primary: Connection | None = None,
        *,
        settled: Callable[[T], bool] | None = None,
    ) -> T:
        """``fn`` on a replica connection when the replica is fresh, else on the primary.

        ``primary`` is a connection the caller already holds on the primary (for
        example inside its transaction); without it the primary engine lends one.
        A replica read that fails marks the replica unusable until the next check
        and runs again on the primary. ``settled`` says whether a replica answer
        can stand: one that may only be stale (results not yet written, say) is
        asked of the primary again.
        """
        if self.replica is not None and self.use_replica():
            try:
                with self.replica.connect() as conn:
                    result = fn(conn)
                if settled is None or settled(result):
                    self._count("replica")
                    return result
            except sa.exc.DBAPIError as exc:
                log.warning("replica read failed, reading the primary: %s", _reason(exc))
                self._store(ReplicaCheck(False, None, _reason(exc), self._clock()))
        self._count("primary")
        if primary is not None:
            return fn(primary)
        with self.primary.connect() as conn:
            return fn(conn)

    def use_replica(self) -> bool:
        """Whether reads go to the replica now (the cached check, refreshed when stale)."""
        if self.replica is None:
            return False
        with self._lock:
            last = self._last
            stale = last is None or self._clock() - last.at >= self.check_every_s
            refresh = stale and not self._checking
            if refresh:
                self._checking = True
        if refresh:
            try:
                last = self.check()
            finally:
                with self._lock:
                    self._checking = False
        return last is not None and last.usable

    def check(self) -> ReplicaCheck:
        """Ask the replica for its lag now and remember the answer."""
        assert self.replica is not None
        try:
            with self.replica.connect() as conn:
                lag = replica_lag_s(conn)
        except sa.exc.DBAPIError as exc:
            result = ReplicaCheck(False, None, _reason(exc), self._clock())
        else:
            usable = lag is not None and lag <= self.max_lag_s
            error = None
            if lag is None:
                error = "no writer heartbeat and no WAL receiver: lag unknown"
            elif not usable:
                error = f"lag {lag:.1f} s exceeds READ_MAX_LAG_S={self.max_lag_s:g}"
            result = ReplicaCheck(usable, lag, error, self._clock())
        self._store(result)
        return result

    def status(self) -> dict[str, Any]:
        """For ``/monitoring/stats``: where reads go, the replica's lag, read counts."""
        if self.replica is None:
            return {"source": "primary", "replica": None, "reads": dict(self.reads)}
        last = self._last
        return {
            "source": "replica" if last is not None and last.usable else "primary",
            "replica": None
            if last is None
            else {
                "lag_s": None if last.lag_s is None else round(last.lag_s, 3),
                "error": last.error,
                "checked_s_ago": round(self._clock() - last.at, 3),
            },
            "max_lag_s": self.max_lag_s,
            "reads": dict(self.reads),
        }

    def dispose(self) -> None:
        """Close the replica's pool (the primary engine belongs to the caller)."""
        if self.replica is not None:
            self.replica.dispose()

    def _store(self, check: ReplicaCheck) -> None:
        with self._lock:
            previous = self._last
            self._last = check
        if previous is None or previous.usable != check.usable:
            log.info(
                "reads now from the %s%s",
                "replica" if check.usable else "primary",
                f" ({check.error})" if check.error else "",
            )

    def _count(self, source: str) -> None:
        with self._lock:
            self.reads[source] += 1


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def read_router(settings: Settings, primary: Engine, role: str) -> ReadRouter:
    """This process's router: the replica from ``DATABASE_READ_URL``, if set.

    The replica's engine gets the same connection settings as the primary's
    (``store.database.create_engine``).
    """
    replica = None
    if settings.database_read_url:
        replica = create_engine(
            normalize_url(settings.database_read_url),
            settings,
            application_name=process_tag(f"{role}-read"),
        )
    return ReadRouter(primary, replica, max_lag_s=settings.read_max_lag_s)
