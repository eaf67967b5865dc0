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

from .sender_harness import (
    InProcessSender,
    calls,
    sender_settings,
    settled,
    sim_get,
    sim_post,
)
from .webtier import seed_quiz

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


def waiting_stop(engine: Engine) -> int:
    """A game in the group and a member's /stop waiting for the admin list; the session id."""
    quiz_id = seed_quiz(engine)
    with engine.begin() as conn:
        session_id = int(
            conn.scalar(
                sa.text(
                    "INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, position,"
                    " question_count) SELECT id, 'group', 'question', :chat, :host, 0,"
                    " question_count FROM quizzes WHERE id = :quiz RETURNING id"
                ),
                {"chat": GROUP, "host": CREATOR, "quiz": quiz_id},
            )
        )
        admins.wait_for_admins(conn, GROUP, ADMIN, session_id)
    return session_id


@pytest.mark.parametrize(
    ("sim", "status"),
    [
        # 5xx every time: retried until SEND_MAX_ATTEMPTS, then dead.
        (FaultConfig(error_rate=1.0, methods={"getchatadministrators"}), "dead"),
        # A 400: dropped at once.
        (
            FaultConfig(error_rate=1.0, error_status=400, methods={"getchatadministrators"}),
            "dropped",
        ),
    ],
    indirect=["sim"],
)
async def test_a_fetch_that_fails_for_good_answers_the_waiting_stop_and_the_game_goes_on(
    settings: Settings, engine: Engine, sim: RunningSim, status: str
) -> None:
    session_id = waiting_stop(engine)
    async with InProcessSender(sender_settings(settings, sim, send_max_attempts=2)):
        counts = await settled(engine, within=60)
    assert counts == {status: 1, "sent": 1}
    replies = [c["params"]["text"] for c in calls(sim, "sendMessage") if c["chat_id"] == GROUP]
    assert replies == [admins.UNCHECKED]
    with engine.connect() as conn:
        waiting = conn.scalar(sa.text("SELECT count(*) FROM stop_checks"))
        game = conn.execute(
            sa.text("SELECT status, pending_command FROM sessions WHERE id = :s"),
            {"s": session_id},
        ).one()
    assert waiting == 0
    assert tuple(game) == ("question", None)
    assert cached(engine) is None
