"""The sender as its own process: SIGTERM drains, kill -9 loses nothing, one sender at a time."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.api.faults import FaultConfig
from quizbot.store.database import libpq_dsn
from quizbot.store.outbox_queries import sender_lock_key

from .sender_harness import (
    TOKEN,
    InProcessSender,
    calls,
    delivered,
    fill,
    rows,
    sender_settings,
    settled,
    start_process,
    statuses,
    stop_process,
)

LISTEN_APP = "quizbot-sender:%"
LOCK_APP = "quizbot-sender-lock"


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[RunningSim]:
    faults = getattr(request, "param", FaultConfig())
    running = start_in_thread(SimConfig(limits=False, faults=faults))
    yield running
    running.stop()


def first_seen_order(sim: RunningSim) -> dict[int, list[int]]:
    """Per chat, message numbers in the order they first arrived (repeats left out)."""
    order: dict[int, list[int]] = {}
    for call in calls(sim, "sendMessage"):
        n = int(call["params"]["text"].split(":")[1])
        seen = order.setdefault(call["chat_id"], [])
        if n not in seen:
            seen.append(n)
    return order


async def wait_for_calls(sim: RunningSim, n: int, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while len(calls(sim, "sendMessage")) < n:
        assert time.monotonic() < deadline, f"fewer than {n} calls within {within} s"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("sim", [FaultConfig(slow_ms=400, methods={"sendmessage"})], indirect=True)
async def test_sigterm_finishes_in_flight_sends_and_gives_back_the_rest(
    settings: Settings, engine: Engine, sim: RunningSim, tmp_path: Path
) -> None:
    total = fill(engine, range(1, 61), per_chat=1)
    proc = start_process(sender_settings(settings, sim), tmp_path / "sender.log")
    try:
        await wait_for_calls(sim, 10)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    finally:
        stop_process(proc, signal.SIGKILL)
    log = (tmp_path / "sender.log").read_text()
    assert code == 0, log
    counts = statuses(engine)
    assert counts["claimed"] == 0
    sent_texts = {c["params"]["text"] for c in calls(sim, "sendMessage")}
    by_text = {r.params["text"]: r for r in rows(engine)}
    # Every call Telegram answered was recorded as sent; nothing else was.
    assert {t for t, r in by_text.items() if r.status == "sent"} == sent_texts
    assert counts["sent"] + counts["pending"] == total and counts["pending"] > 0
    assert all(r.leased_by is None and r.lease_until is None for r in by_text.values())


async def test_kill_9_mid_drain_then_restart_delivers_everything(
    settings: Settings, engine: Engine, sim: RunningSim, tmp_path: Path
) -> None:
    chats = range(1, 41)
    total = fill(engine, chats, per_chat=10)
    s = sender_settings(settings, sim, send_rate_per_s=100.0)
    log = tmp_path / "sender.log"
    proc = start_process(s, log)
    try:
        await wait_for_calls(sim, 100)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = len(calls(sim, "sendMessage"))
        assert before < total, "the first sender finished before it was killed"
        proc = start_process(s, log)
        counts = await settled(engine, within=30)
        assert stop_process(proc) == 0, log.read_text()
    finally:
        stop_process(proc, signal.SIGKILL)
    assert counts == {"sent": total}
    seen = Counter(c["params"]["text"] for c in calls(sim, "sendMessage"))
    duplicates = sum(n - 1 for n in seen.values())
    print(f"kill -9 after {before} of {total} sends: {duplicates} duplicate deliveries")
    assert len(seen) == total
    # Only rows sent but not yet recorded when the process died come twice: at
    # most one result batch plus the sends in flight.
    assert duplicates <= s.sender_batch_size + s.sender_workers
    assert first_seen_order(sim) == {chat: list(range(10)) for chat in chats}


async def test_a_second_sender_stands_by_and_takes_over_when_the_first_dies(
    settings: Settings, engine: Engine, sim: RunningSim, tmp_path: Path
) -> None:
    total = fill(engine, range(1, 31), per_chat=10)
    s = sender_settings(settings, sim, send_rate_per_s=60.0)
    first = start_process(s, tmp_path / "first.log")
    second = None
    try:
        await wait_for_calls(sim, 20)
        second = start_process(s, tmp_path / "second.log")
        # Only once the standby is up and refused the lock is the takeover a takeover.
        await eventually(lambda: "standing by" in (tmp_path / "second.log").read_text(), 30)
        await asyncio.sleep(0.5)
        holders = {r.leased_by.split(":")[1] for r in rows(engine, "status = 'claimed'")}
        assert holders <= {str(first.pid)}, "the standby claimed rows while the first ran"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        counts = await settled(engine, within=30)
        assert stop_process(second) == 0
    finally:
        stop_process(first, signal.SIGKILL)
        if second is not None:
            stop_process(second, signal.SIGKILL)
    assert counts == {"sent": total}
    assert "standing by" in (tmp_path / "second.log").read_text()
    assert first_seen_order(sim) == {chat: list(range(10)) for chat in range(1, 31)}


def terminate(engine: Engine, application_name: str) -> int:
    """Kill this database's backends of ``application_name``; returns how many."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name LIKE :name"
                ),
                {"name": application_name},
            )
            or 0
        )


def backends(engine: Engine, application_name: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name LIKE :name"
                ),
                {"name": application_name},
            )
            or 0
        )


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_the_listener_reconnects_when_its_connection_is_killed(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    async with InProcessSender(sender_settings(settings, sim), poll_s=60.0) as sender:
        await eventually(lambda: backends(engine, LISTEN_APP) == 1)
        assert terminate(engine, LISTEN_APP) == 1
        await eventually(lambda: backends(engine, LISTEN_APP) == 1 and sender.claimed == 0)
        await asyncio.sleep(0.3)
        started = time.monotonic()
        fill(engine, [5], per_chat=2)
        await settled(engine, within=10)
        # Woken by the notification, not by the 60 s poll.
        assert time.monotonic() - started < 5
    assert delivered(sim) == {5: [0, 1]}


async def test_a_sender_that_loses_its_lock_stops_sending_at_once_then_takes_it_again(
    settings: Settings, engine: Engine, sim: RunningSim, db_url: str
) -> None:
    total = fill(engine, range(1, 11), per_chat=20)
    s = sender_settings(settings, sim, send_rate_per_s=20.0, sender_lease_s=30.0)
    key = sender_lock_key(TOKEN)
    rival = psycopg2.connect(libpq_dsn(db_url))
    rival.autocommit = True
    runner = InProcessSender(s)
    try:
        async with runner as sender:
            await wait_for_calls(sim, 5)
            # The rival queues for the lock, so it gets it the moment the holder's session ends.
            waiting = asyncio.create_task(asyncio.to_thread(_lock, rival, key))
            await eventually(lambda: _waiting_for_lock(engine) == 1)
            assert terminate(engine, LOCK_APP) == 1
            killed_at = time.time()
            await asyncio.wait_for(waiting, 10)
            await asyncio.sleep(2.0)
            assert sender.tenure is None and not sender.lock.held
            late = [c for c in calls(sim, "sendMessage") if c["at"] > killed_at + 0.5]
            # The rival holds the lock: the old holder sends nothing more.
            assert late == []
            await asyncio.to_thread(rival.close)
            await eventually(lambda: sender.tenures == 2, within=10)
            counts = await settled(engine, within=60)
            assert runner.task is not None and not runner.task.done()
    finally:
        rival.close()
    assert counts == {"sent": total}
    seen = Counter(c["params"]["text"] for c in calls(sim, "sendMessage"))
    assert len(seen) == total
    # Everything sent before the loss was recorded (the drain writes it): no repeats.
    assert sum(n - 1 for n in seen.values()) == 0
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT generation FROM sender_lock")) == 2


def _lock(conn: psycopg2.extensions.connection, key: int) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (key,))


def _waiting_for_lock(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                # This database's waiters only: the server is shared with other tests.
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
            or 0
        )
