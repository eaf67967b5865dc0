"""The sender keeps Telegram's flood limits, as the fake Bot API's own journal shows.

Limits are test-sized (20/s, 4/s per chat, a few per minute per group) so each
case takes seconds; the fake API enforces the same numbers and would answer
429 to anything faster.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.api.limits import LimitConfig

from .sender_harness import (
    InProcessSender,
    calls,
    delivered,
    fill,
    rows,
    sender_settings,
    settled,
    sim_get,
)


def simulated(**rates: float) -> Iterator[RunningSim]:
    base = dict(
        global_rate=1000.0,
        global_burst=1000.0,
        chat_rate=1000.0,
        chat_burst=1000.0,
        group_per_minute=100000.0,
    )
    base.update(rates)
    running = start_in_thread(SimConfig(rates=LimitConfig(**base)))
    yield running
    running.stop()


def arrivals(sim: RunningSim) -> dict[int, list[float]]:
    """Per chat, when the fake API accepted each sendMessage (its monotonic clock)."""
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls(sim, "sendMessage"):
        per_chat[call["chat_id"]].append(call["mono"])
    return dict(per_chat)


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def rate_limited(sim: RunningSim) -> int:
    return int(sim_get(sim, "/sim/stats")["rate_limited"])


@pytest.fixture
def sim_global_20() -> Iterator[RunningSim]:
    yield from simulated(global_rate=20.0, global_burst=20.0)


@pytest.fixture
def sim_chat_4() -> Iterator[RunningSim]:
    yield from simulated(chat_rate=4.0, chat_burst=2.0)


@pytest.fixture
def sim_group_4() -> Iterator[RunningSim]:
    yield from simulated(group_per_minute=4.0)


async def test_global_rate_holds_with_no_429(
    settings: Settings, engine: Engine, sim_global_20: RunningSim
) -> None:
    sim = sim_global_20
    total = fill(engine, range(1, 21), per_chat=3)
    async with InProcessSender(sender_settings(settings, sim, send_rate_per_s=20.0)):
        await settled(engine)
    times = sorted(t for ts in arrivals(sim).values() for t in ts)
    assert len(times) == total
    assert rate_limited(sim) == 0
    # Our global burst is a tenth of a second's worth (2); 3 more for arrival jitter.
    assert most_in_window(times, 1.0) <= 20 + 2 + 3
    assert times[-1] - times[0] >= (total - 3) / 20.0


async def test_per_chat_pacing_holds_with_no_429(
    settings: Settings, engine: Engine, sim_chat_4: RunningSim
) -> None:
    sim = sim_chat_4
    fill(engine, [11, 12, 13], per_chat=8)
    s = sender_settings(settings, sim, per_chat_per_s=4.0, per_chat_burst=2)
    async with InProcessSender(s):
        await settled(engine)
    assert rate_limited(sim) == 0
    for chat, times in arrivals(sim).items():
        assert len(times) == 8, chat
        # One message of headroom below the chat's burst of 2: evenly paced at 4/s.
        for k, t in enumerate(times):
            assert t - times[0] >= k / 4.0 - 0.1, (chat, k)


async def test_a_group_gets_one_less_than_its_per_minute_limit_in_a_minute(
    settings: Settings, engine: Engine, sim_group_4: RunningSim
) -> None:
    sim = sim_group_4
    fill(engine, [-3001, 3001], per_chat=6)
    s = sender_settings(settings, sim, per_group_per_min=4)
    runner = InProcessSender(s)
    async with runner:
        await until_delivered(sim, 3001, 6)
        await asyncio.sleep(1.0)
        assert await runner.stop() == 0
    assert rate_limited(sim) == 0
    assert delivered(sim) == {-3001: [0, 1, 2], 3001: list(range(6))}
    left = rows(engine, "status <> 'sent'")
    assert [(r.chat_id, r.status, r.leased_by) for r in left] == [(-3001, "pending", None)] * 3


async def until_delivered(sim: RunningSim, chat_id: int, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(delivered(sim).get(chat_id, [])) < n:
        assert time.monotonic() < deadline, delivered(sim)
        await asyncio.sleep(0.05)


async def test_a_429_storm_is_survived_with_every_message_delivered_exactly_once(
    settings: Settings, engine: Engine, sim_global_20: RunningSim
) -> None:
    # Our limiter allows 200/s; the fake API only 20/s, so it answers 429s.
    sim = sim_global_20
    chats = list(range(501, 517))
    total = fill(engine, chats, per_chat=5)
    async with InProcessSender(sender_settings(settings, sim, send_rate_per_s=200.0)) as sender:
        counts = await settled(engine)
    assert counts == {"sent": total}
    assert rate_limited(sim) > 0
    texts = Counter(c["params"]["text"] for c in calls(sim, "sendMessage"))
    assert len(texts) == total and set(texts.values()) == {1}
    assert delivered(sim) == {chat: list(range(5)) for chat in chats}
    # A 429 is not a failed attempt.
    assert {r.attempts for r in rows(engine)} == {1}
    totals = sender.meters.totals + sender.meters.counts
    assert totals["send.sendMessage.429"] == rate_limited(sim)


@pytest.fixture
def sim_global_5() -> Iterator[RunningSim]:
    yield from simulated(global_rate=5.0, global_burst=5.0, paid_rate=1000.0)


async def test_paid_broadcast_sends_past_the_free_limit_and_says_so(
    settings: Settings, engine: Engine, sim_global_5: RunningSim
) -> None:
    sim = sim_global_5
    total = fill(engine, range(1, 61), per_chat=1)
    started = time.monotonic()
    async with InProcessSender(sender_settings(settings, sim, paid_broadcast=True)):
        await settled(engine)
    # 60 messages at the free 5/s would take 11 s.
    assert time.monotonic() - started < 5
    sent = calls(sim, "sendMessage")
    assert len(sent) == total and rate_limited(sim) == 0
    assert all(c["params"].get("allow_paid_broadcast") is True for c in sent)
