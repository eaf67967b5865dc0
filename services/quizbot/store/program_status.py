"""Each daemon's state, for operators: a statsd gauge and a ``program_status`` row.

:class:`StatusReporter` runs in every daemon. About once a second it sends
``<program>.db_up`` (1/0) and the program's other gauges, and upserts the
program's row (program, host, pid, state, db_up, lock holder, updated_at).
While the database is away the row cannot be written, so it goes stale:
``/monitoring/stats`` lists every row with its age and marks the stale ones.
The upsert is itself a probe of the database through pgbouncer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from quizbot.store.events import first_set
from quizbot.store.outage import is_transient

log = logging.getLogger(__name__)

# A row not updated for this long belongs to a program that is stuck, cut off or gone.
STALE_S = 5.0
# Rows of programs gone this long are deleted (a restart gets a new pid, hence a new row).
FORGET_S = 3600

UPSERT = sa.text(
    """
    INSERT INTO program_status (program, host, pid, state, db_up, lock_holder, updated_at)
    VALUES (:program, :host, :pid, :state, true, :lock_holder, now())
    ON CONFLICT (program, host, pid) DO UPDATE
    SET state = EXCLUDED.state, db_up = true, lock_holder = EXCLUDED.lock_holder,
        updated_at = now()
    """
)
FORGET = sa.text(
    "DELETE FROM program_status WHERE updated_at < now() - make_interval(secs => :forget_s)"
)
LIST = sa.text(
    """
    SELECT program, host, pid, state, db_up, lock_holder,
           extract(epoch FROM now() - updated_at) AS age_s
    FROM program_status ORDER BY program, host, pid
    """
)


def listing(conn: Connection, stale_s: float = STALE_S) -> list[dict[str, Any]]:
    """Every program's last reported state, with its age and whether it is stale."""
    return [
        {
            "program": r.program,
            "host": r.host,
            "pid": r.pid,
            "state": r.state if r.age_s <= stale_s else f"stale ({r.state})",
            "db_up": r.db_up,
            "lock_holder": r.lock_holder,
            "age_s": round(float(r.age_s), 1),
            "stale": float(r.age_s) > stale_s,
        }
        for r in conn.execute(LIST)
    ]


class DbState:
    """Whether this program can reach the database, as its last calls found."""

    def __init__(self) -> None:
        self.up = True

    def set(self, up: bool) -> None:
        """Record the outcome of a database call (``outage.retry``'s ``on_state``)."""
        self.up = up


class StatusReporter:
    """Reports the program's state every ``every_s``: gauges, and its row when it can."""

    def __init__(
        self,
        engine: Engine,
        program: str,
        db: DbState,
        gauge: Callable[[str, float], None],
        *,
        state: Callable[[], str],
        lock_holder: Callable[[], bool | None] = lambda: None,
        gauges: Callable[[], dict[str, float]] = dict,
        every_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.program = program
        self.db = db
        self.gauge = gauge
        self.state = state
        self.lock_holder = lock_holder
        self.gauges = gauges
        self.every_s = every_s
        self.host = socket.gethostname()[:64]
        self.pid = os.getpid()
        self.reports = 0
        self._upserting: asyncio.Future[None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Report until ``stop``, then once more with state ``stopped``."""
        while not stop.is_set():
            await self.report()
            await first_set(stop, within=self.every_s)
        await self.report("stopped")

    async def report(self, state: str | None = None) -> None:
        """Upsert this program's row (a failure marks the database down), then send gauges."""
        values = {
            "program": self.program,
            "host": self.host,
            "pid": self.pid,
            "state": state or self.state(),
            "lock_holder": self.lock_holder(),
        }
        # While PostgreSQL is away, pgbouncer holds a query until a server comes
        # back (up to its query_wait_timeout) instead of failing it: an upsert not
        # done within ``every_s`` means the database is down for this program, and
        # the gauges go out all the same. The upsert keeps its thread; the next
        # one starts only once it has finished.
        if self._upserting is None:
            self._upserting = asyncio.ensure_future(asyncio.to_thread(self._upsert, values))
        done, _ = await asyncio.wait({self._upserting}, timeout=self.every_s)
        if done:
            exc = self._upserting.exception()
            self._upserting = None
            if exc is not None and not is_transient(exc):
                raise exc
            self.db.set(exc is None)
        else:
            self.db.set(False)
        self.reports += 1
        self.gauge("db_up", 1.0 if self.db.up else 0.0)
        holder = values["lock_holder"]
        if holder is not None:
            self.gauge("lock_held", 1.0 if holder else 0.0)
        for name, value in self.gauges().items():
            self.gauge(name, value)

    def _upsert(self, values: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(UPSERT, values)
            conn.execute(FORGET, {"forget_s": FORGET_S})
