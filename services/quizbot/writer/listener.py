"""Waking the clock on ``NOTIFY quizbot_clock``.

LISTEN needs a session of its own on the server, which pgbouncer in transaction
mode cannot give (it hands the server connection to other clients between
transactions), so the listener connects straight to PostgreSQL
(``DatabaseUrls.direct``). The socket is watched by the event loop
(``add_reader``), so waiting costs no thread. A lost connection is reopened
with a pause; meanwhile the clock's polling keeps the game going, and after a
reconnect the clock is woken once in case a notification was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg2
import psycopg2.extensions

log = logging.getLogger(__name__)

RECONNECT_S = 1.0
# With no traffic, check this often that the connection is still alive: a
# silently dropped TCP connection never becomes readable.
KEEPALIVE_S = 30.0


async def listen(dsn: str, channel: str, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``wake`` on every notification on ``channel`` until ``stop`` is set."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            conn = await asyncio.to_thread(psycopg2.connect, dsn)
        except psycopg2.Error as exc:
            log.warning("LISTEN connection failed (%s); retrying in %.0f s", exc, RECONNECT_S)
            await sleep_unless(stop, RECONNECT_S)
            continue
        try:
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with conn.cursor() as cur:
                cur.execute(f"LISTEN {channel}")
            wake.set()
            readable = asyncio.Event()
            loop.add_reader(conn.fileno(), readable.set)
            try:
                await _pump(conn, readable, wake, stop)
            finally:
                loop.remove_reader(conn.fileno())
        except psycopg2.Error as exc:
            log.warning("LISTEN connection lost (%s); reconnecting", exc)
            await sleep_unless(stop, RECONNECT_S)
        finally:
            conn.close()


async def _pump(
    conn: psycopg2.extensions.connection,
    readable: asyncio.Event,
    wake: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        got = await wait_either(readable, stop, KEEPALIVE_S)
        if not got:
            with conn.cursor() as cur:  # raises if the server went away
                cur.execute("SELECT 1")
        readable.clear()
        conn.poll()
        if conn.notifies:
            conn.notifies.clear()
            wake.set()


async def wait_either(event: asyncio.Event, stop: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` or ``stop``, at most ``seconds``; False when time ran out."""
    waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())]
    try:
        done, _ = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
