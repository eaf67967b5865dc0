"""The sender fetches a group's admins for the web tier and writes them into the cache.

``getChatAdministrators`` is an ordinary outbox row; its result is written back
in the sender's batched result commit. A failed fetch (a 5xx here, a 429 or a
timeout alike: all are retried) leaves the cached list as it was.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.api.faults import FaultConfig
from quizbot.store import admins

from .sender_harness import InProcessSender, sender_settings, settled, sim_get, sim_post

GROUP = -9001
CREATOR, ADMIN, MEMBER, OLD_ADMIN = 901, 902, 903, 777


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[RunningSim]:
    faults = getattr(request, "param", FaultConfig())
    running = start_in_thread(SimConfig(limits=False, faults=faults))
    for user_id in (CREATOR, ADMIN, MEMBER):
        sim_post(running, "/sim/users", {"id": user_id, "first_name": f"U{user_id}"})
    body = {"id": GROUP, "type": "group", "admins": [CREATOR, ADMIN], "members": [MEMBER]}
    sim_post(running, "/sim/chats", body)
    yield running
    running.stop()


def cached(engine: Engine) -> list[int] | None:
    with engine.connect() as conn:
        ids = conn.scalar(
            sa.text("SELECT admin_ids FROM chat_admins WHERE chat_id = :c"), {"c": GROUP}
        )
    return sorted(ids) if ids is not None else None


def queue_fetch(engine: Engine, *, old: list[int] | None = None) -> None:
    with engine.begin() as conn:
        if old is not None:
            admins.store_admins(conn, GROUP, old)
            conn.execute(sa.text("UPDATE chat_admins SET fetched_at = now() - interval '2 hours'"))
        assert admins.request_fetch(conn, GROUP)


async def test_the_admin_list_telegram_returns_is_cached(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    queue_fetch(engine)
    async with InProcessSender(sender_settings(settings, sim)):
        counts = await settled(engine)
    assert counts == {"sent": 1}
    assert cached(engine) == [CREATOR, ADMIN]
    with engine.connect() as conn:
        assert admins.cached_admins(conn, GROUP) == {CREATOR, ADMIN}


@pytest.mark.parametrize(
    "sim", [FaultConfig(error_rate=1.0, methods={"getchatadministrators"})], indirect=True
)
async def test_a_failing_fetch_leaves_the_cached_list_as_it_was(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    queue_fetch(engine, old=[OLD_ADMIN])
    async with InProcessSender(sender_settings(settings, sim)):
        deadline = time.monotonic() + 20
        while not failures(sim):
            assert time.monotonic() < deadline, "the sender never tried the fetch"
            await asyncio.sleep(0.1)
    assert failures(sim) >= 1
    assert cached(engine) == [OLD_ADMIN]
    with engine.connect() as conn:
        assert admins.cached_admins(conn, GROUP) is None  # still stale: fetched again later


def failures(sim: RunningSim) -> int:
    by_method = sim_get(sim, "/sim/stats")["by_method"].get("getChatAdministrators", {})
    return sum(n for outcome, n in by_method.items() if outcome != "200")
