"""Polls in the simulator behave like Telegram's: votes, revoting, closing on
time and on stopPoll, and the poll / poll_answer updates the bot receives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram

from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import ControlRefused, SimClient, User

TOKEN = "515151:poll-token"
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def bot(sim: RunningSim) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=sim.bot_base_url) as b:
        yield b


def _updates(client: SimClient) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = client.request("GET", f"/bot{TOKEN}/getUpdates")["result"]
    if result:
        client.request("GET", f"/bot{TOKEN}/getUpdates?offset={result[-1]['update_id'] + 1}")
    return result


async def _group_with(client: SimClient, *names: str) -> tuple[dict[str, Any], list[User]]:
    users = [await asyncio.to_thread(client.user, n) for n in names]
    chat = await asyncio.to_thread(client.group, "Quiz night", users, users[:1])
    return chat, users


async def test_a_quiz_vote_reaches_the_bot_and_shows_the_answer_after_voting(
    client: SimClient, bot: telegram.Bot
) -> None:
    chat, (ann, ben) = await _group_with(client, "Ann", "Ben")
    sent = await bot.send_poll(
        chat["id"],
        "2+2?",
        ["3", "4"],
        type="quiz",
        correct_option_ids=[1],
        explanation="Four.",
        is_anonymous=False,
    )
    message = sent.to_dict()
    before = await asyncio.to_thread(lambda: ben.seen()["polls"][0])
    assert "correct_option_ids" not in before and "explanation" not in before

    voted = await asyncio.to_thread(ann.vote, message, [0])
    assert (voted["my_option_ids"], voted["correct_option_ids"], voted["explanation"]) == (
        [0],
        [1],
        "Four.",
    )
    with pytest.raises(ControlRefused) as again:
        await asyncio.to_thread(ann.vote, message, [1])
    assert again.value.field == "option_ids"  # a quiz allows no revote

    updates = await asyncio.to_thread(_updates, client)
    kinds = [next(k for k in u if k != "update_id") for u in updates]
    assert kinds[-2:] == ["poll", "poll_answer"]
    answer = updates[-1]["poll_answer"]
    assert (answer["poll_id"], answer["user"]["id"], answer["option_ids"]) == (
        sent.poll.id,
        ann.id,
        [0],
    )
    assert updates[-2]["poll"]["total_voter_count"] == 1
    # PTB parses what the simulator delivers.
    assert telegram.Update.de_json(updates[-1], bot).poll_answer.option_ids == (0,)


async def test_a_poll_closes_at_its_open_period_and_refuses_late_votes(
    client: SimClient, bot: telegram.Bot
) -> None:
    chat, (cai,) = await _group_with(client, "Cai")
    sent = await bot.send_poll(chat["id"], "Best?", ["a", "b"], open_period=5)
    await asyncio.to_thread(_updates, client)
    deadline = time.monotonic() + 15
    closed: list[dict[str, Any]] = []
    while not closed and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        closed = [u["poll"] for u in await asyncio.to_thread(_updates, client) if "poll" in u]
    assert closed and closed[-1]["is_closed"] and closed[-1]["id"] == sent.poll.id
    with pytest.raises(ControlRefused, match="closed"):
        await asyncio.to_thread(cai.vote, sent.to_dict(), [0])
    assert (await asyncio.to_thread(cai.seen))["polls"][0]["is_closed"] is True


async def test_a_regular_poll_allows_revoting_and_stoppoll_sends_the_final_state(
    client: SimClient, bot: telegram.Bot
) -> None:
    chat, (dee, eve) = await _group_with(client, "Dee", "Eve")
    sent = await bot.send_poll(chat["id"], "Lunch?", ["pizza", "soup", "salad"])
    message = sent.to_dict()
    await asyncio.to_thread(dee.vote, message, [0])
    await asyncio.to_thread(dee.vote, message, [2])  # regular polls allow revoting
    await asyncio.to_thread(eve.vote, message, [2])
    stopped = await bot.stop_poll(chat["id"], sent.message_id)
    assert [o.voter_count for o in stopped.options] == [0, 0, 2]
    updates = await asyncio.to_thread(_updates, client)
    assert "poll_answer" not in {k for u in updates for k in u}  # anonymous poll
    assert updates[-1]["poll"]["is_closed"] is True
