"""Riding out a database outage: which errors mean "the database is away", and backoff.

The daemons never exit because PostgreSQL or pgbouncer is down, restarting or
dropped their connection: every database call of theirs goes through
:func:`retry`, which waits the outage out (0.2 s doubling to 2 s, so recovery
comes within about 2 s of the database's return) and reports the state through
``on_state`` (the program's ``db_up``). Any other exception propagates: it is
a bug, and exiting non-zero is right for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg2
import sqlalchemy.exc

from quizbot.store.events import first_set

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_S = 0.2
CAP_S = 2.0


def is_transient(exc: BaseException) -> bool:
    """An error that means the database is unreachable or restarting, not a bug.

    Connection refused or reset, admin shutdown, a statement cancelled by a
    timeout, a pool that could not hand out a connection in time.
    """
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        if exc.connection_invalidated or exc.orig is None:
            return True
        return is_transient(exc.orig)
    if isinstance(exc, sqlalchemy.exc.DisconnectionError | sqlalchemy.exc.TimeoutError):
        return True
    return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)


class Stopped(Exception):
    """The program is stopping while the database is away: give up the call."""


class Backoff:
    """Delays of 0.2 s doubling up to 2 s; :meth:`reset` after a success."""

    def __init__(self, first_s: float = FIRST_S, cap_s: float = CAP_S) -> None:
        self.first_s = first_s
        self.cap_s = cap_s
        self._next = first_s

    def next(self) -> float:
        """The delay to wait now; the following one doubles, up to the cap."""
        delay = self._next
        self._next = min(self.cap_s, self._next * 2)
        return delay

    def reset(self) -> None:
        """Start again from the first delay."""
        self._next = self.first_s


async def retry(
    call: Callable[[], Awaitable[T]],
    stop: asyncio.Event,
    *,
    what: str,
    on_state: Callable[[bool], None] | None = None,
) -> T:
    """``await call()`` until it succeeds, waiting out transient database errors.

    Raises :class:`Stopped` when ``stop`` is set while the database is away.
    """
    backoff = Backoff()
    failed = False
    while True:
        try:
            result = await call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if not failed:
                log.warning("%s: database unavailable (%s); retrying with backoff", what, exc)
                failed = True
            if on_state is not None:
                on_state(False)
            if not await first_set(stop, within=backoff.next()):
                continue
            raise Stopped(what) from exc
        if failed:
            log.info("%s: database back", what)
        if on_state is not None:
            on_state(True)
        return result
