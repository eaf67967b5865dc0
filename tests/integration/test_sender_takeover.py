"""A takeover while the old holder is sending: the fence keeps two senders off the same rows."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim

from .sender_harness import calls, fill, rows, sender_settings, settled, start_process, stop_process


def kill_lock_holder(engine: Engine) -> int:
    """pg_terminate_backend on the session holding the sender lock; returns its pid."""
    with engine.connect() as conn:
        pid = conn.scalar(
            sa.text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        assert pid is not None, "nobody holds the sender lock"
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return int(pid)


def generation(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text("SELECT generation FROM sender_lock")) or 0)


async def until(check: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):  # type: ignore[arg-type]
        assert time.monotonic() < deadline, f"{what}: not within {within} s"
        await asyncio.sleep(0.05)


async def test_a_standby_takes_over_a_live_holder_and_no_row_is_sent_by_both(
    settings: Settings, engine: Engine, sim: RunningSim, tmp_path: Path
) -> None:
    chats = range(1, 31)
    total = fill(engine, chats, per_chat=10)
    # A long lease: the old holder's claims must come back because it gives them
    # back (or is gone), not because their lease ran out.
    s = sender_settings(settings, sim, send_rate_per_s=40.0, sender_lease_s=60.0)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_process(s, first_log)
    second = None
    try:
        await until(lambda: len(calls(sim, "sendMessage")) >= 40, 30, "first sender sending")
        second = start_process(s, second_log)
        await until(lambda: "standing by" in second_log.read_text(), 30, "standby up")
        assert generation(engine) == 1
        killed_at = time.time()
        kill_lock_holder(engine)
        await until(lambda: generation(engine) == 2, 10, "takeover")
        took_over_at = time.time()
        counts = await settled(engine, within=60)
        # Both processes live on: the old holder stands by, it did not exit.
        assert first.poll() is None and second.poll() is None
        holders = {line.split(" holds the lock")[0][-30:] for line in _lines(first_log, second_log)}
        assert len(holders) == 2, holders
    finally:
        codes = [stop_process(first, signal.SIGTERM)]
        if second is not None:
            codes.append(stop_process(second, signal.SIGTERM))
    assert codes == [0, 0], first_log.read_text() + second_log.read_text()
    assert counts == {"sent": total}
    sent = calls(sim, "sendMessage")
    seen = Counter(c["params"]["text"] for c in sent)
    assert len(seen) == total
    duplicates = sum(n - 1 for n in seen.values())
    print(
        f"takeover {took_over_at - killed_at:.2f} s after the kill; "
        f"{duplicates} rows sent twice of {total}"
    )
    assert duplicates == 0
    assert all(r.lease_gen is None and r.leased_by is None for r in rows(engine))


def _lines(*logs: Path) -> list[str]:
    return [
        line for log in logs for line in log.read_text().splitlines() if "holds the lock" in line
    ]
