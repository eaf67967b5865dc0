"""getUpdates long polls as a bot sees them: overlapping polls, lost answers, stopping."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from quizbot.sim.api import protocol
from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.engine import Answer, FakeTelegram
from quizbot.sim.api.faults import FaultConfig


@pytest.fixture
def tg() -> FakeTelegram:
    return FakeTelegram(SimConfig(limits=False))


def _poll(tg: FakeTelegram, **params: Any) -> asyncio.Task[Answer]:
    return asyncio.create_task(tg.call("1:t", "getUpdates", params))


async def _waiting(tg: FakeTelegram, polls: int) -> None:
    """Let the started polls run up to their wait (one loop, no I/O: a few turns)."""
    for _ in range(10):
        await asyncio.sleep(0)
    assert tg.in_flight == polls


def _said(answer: Answer) -> tuple[int, Any]:
    body = orjson.loads(answer.body)
    return answer.status, body["result"] if body["ok"] else body["description"]


def _texts(answer: Answer) -> list[str]:
    status, result = _said(answer)
    assert status == 200, result
    return [u["message"]["text"] for u in result]


async def test_a_later_getupdates_ends_the_pending_long_poll_with_409_and_waits_in_its_place(
    tg: FakeTelegram,
) -> None:
    """Telegram's server answers the poll it held 409 when another arrives
    (telegram-bot-api: Client::do_get_updates calls abort_long_poll), so a bot
    whose HTTP client gave up on a slow poll and asked again gets the updates."""
    older = _poll(tg, timeout=30)
    await _waiting(tg, 1)
    newer = _poll(tg, timeout=30)
    async with asyncio.timeout(5):
        assert _said(await older) == (409, protocol.POLL_CONFLICT)
    tg.state.inbox.add({"message": {"text": "/start"}})
    async with asyncio.timeout(5):
        assert _texts(await newer) == ["/start"]
    assert tg.stats()["by_method"]["getUpdates"] == {"409": 1, "200": 1}


async def test_a_getupdates_that_finds_updates_answers_at_once_and_leaves_the_pending_poll(
    tg: FakeTelegram,
) -> None:
    older = _poll(tg, timeout=30, allowed_updates=["callback_query"])
    await _waiting(tg, 1)
    tg.state.inbox.add({"message": {"text": "hi"}})  # not for the older poll: it asked for buttons
    async with asyncio.timeout(5):
        assert _texts(await tg.call("1:t", "getUpdates", {"allowed_updates": ["message"]})) == [
            "hi"
        ]
    assert not older.done()
    tg.close()
    async with asyncio.timeout(5):
        assert _said(await older) == (200, [])


async def test_an_update_whose_getupdates_answer_was_lost_is_fetched_again() -> None:
    """Only a later getUpdates with a higher offset confirms an update, as in Telegram:
    an answer lost on the way (a 5xx, a dropped connection) loses no update."""
    faults = FaultConfig(drop_next=1, drop_after=True, methods={"getUpdates"})
    tg = FakeTelegram(SimConfig(limits=False, faults=faults))
    tg.state.inbox.add({"message": {"text": "/start"}})
    lost = await tg.call("1:t", "getUpdates", {"offset": 0, "timeout": 5})
    assert lost.drop
    tg.set_faults({"error_next": 1})
    assert (await tg.call("1:t", "getUpdates", {"offset": 0})).status == 502
    again = await tg.call("1:t", "getUpdates", {"offset": 0})
    assert _texts(again) == ["/start"]
    offset = orjson.loads(again.body)["result"][0]["update_id"] + 1
    assert _texts(await tg.call("1:t", "getUpdates", {"offset": offset})) == []


async def test_a_stopping_api_ends_the_pending_poll_and_answers_later_ones_at_once(
    tg: FakeTelegram,
) -> None:
    pending = _poll(tg, timeout=30)
    await _waiting(tg, 1)
    tg.close()
    async with asyncio.timeout(5):
        assert _said(await pending) == (200, [])
        assert _said(await tg.call("1:t", "getUpdates", {"timeout": 30})) == (200, [])


async def test_a_reset_ends_the_pending_poll(tg: FakeTelegram) -> None:
    pending = _poll(tg, timeout=30)
    await _waiting(tg, 1)
    tg.reset()
    async with asyncio.timeout(5):
        assert _said(await pending) == (200, [])
