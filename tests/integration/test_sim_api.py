"""python-telegram-bot, unchanged, against the fake Bot API on a real socket.

Every scenario runs with both transports: PTB's default HTTPXRequest (form
bodies) and our AiohttpRequest (JSON bodies).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.telegram.errors import Block, Migrate, Retry, Success, Wait, decide
from quizbot.telegram.request import AiohttpRequest

# PTB itself warns, while building RetryAfter, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456:sim-token"
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("A", callback_data="a:1:0:0"),
            InlineKeyboardButton("B", callback_data="a:1:0:1"),
        ]
    ]
)


def _control(sim: RunningSim, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sim.url + path, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSim]:
    sim = start_in_thread(SimConfig(limits=False))
    yield sim
    sim.stop()


@pytest.fixture
def sim(running: RunningSim) -> RunningSim:
    _control(running, "/sim/reset", {})
    return running


TRANSPORTS: dict[str, Callable[[], BaseRequest]] = {
    "aiohttp": lambda: AiohttpRequest(connection_pool_size=8, read_timeout=2.0),
    "httpx": lambda: HTTPXRequest(connection_pool_size=8, read_timeout=2.0),
}


@pytest.fixture(params=list(TRANSPORTS))
async def bot(request: pytest.FixtureRequest, sim: RunningSim) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=sim.bot_base_url, request=TRANSPORTS[request.param]()) as b:
        yield b


def _sending_faults(**patch: Any) -> dict[str, Any]:
    # Faults only for sendMessage, so the getMe a Bot makes at start-up passes.
    return {"methods": ["sendMessage"], **patch}


async def test_get_me_is_the_simulated_bot(bot: Bot) -> None:
    assert bot.username == "quizbot_sim_bot"
    assert bot.id == 7_000_000_001


async def test_send_edit_and_answer_parse_into_ptb_objects(bot: Bot) -> None:
    sent = await bot.send_message(42, "<b>Q1</b>: 2+2?", parse_mode="HTML", reply_markup=KEYBOARD)
    assert (sent.message_id, sent.chat.id, sent.chat.type) == (1, 42, "private")
    assert sent.text == "Q1: 2+2?"
    assert sent.reply_markup == KEYBOARD
    assert sent.from_user is not None and sent.from_user.is_bot
    second = await bot.send_message(42, "next")
    assert second.message_id == 2

    edited = await bot.edit_message_text("Q1: closed", chat_id=42, message_id=1)
    assert not isinstance(edited, bool)
    assert (edited.message_id, edited.text, edited.reply_markup) == (1, "Q1: closed", None)
    marked = await bot.edit_message_reply_markup(chat_id=42, message_id=1, reply_markup=KEYBOARD)
    assert not isinstance(marked, bool) and marked.reply_markup == KEYBOARD

    assert await bot.answer_callback_query("cq-1", text="Correct! +10") is True


async def test_send_poll_returns_a_poll_with_an_id(bot: Bot) -> None:
    message = await bot.send_poll(
        -1001234567890,
        "2+2?",
        ["3", "4", "5"],
        type="quiz",
        correct_option_ids=[1],
        is_anonymous=False,
    )
    assert message.chat.type == "supergroup"
    assert message.poll is not None
    assert message.poll.id
    assert [o.text for o in message.poll.options] == ["3", "4", "5"]
    assert message.poll.correct_option_ids == (1,)
    stopped = await bot.stop_poll(-1001234567890, message.message_id)
    assert stopped.is_closed and stopped.id == message.poll.id


async def test_an_edit_that_changes_nothing_is_bad_request_not_modified(bot: Bot) -> None:
    await bot.send_message(7, "same", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="not modified") as caught:
        await bot.edit_message_text("same", chat_id=7, message_id=1, reply_markup=KEYBOARD)
    assert decide(caught.value) == Success()


async def test_editing_a_missing_message_is_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=99)


async def test_invalid_callback_data_is_refused_whatever_the_encoding(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(7, "x", reply_markup=markup)


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})


async def test_flood_limit_raises_retry_after_with_the_real_wait(sim: RunningSim, bot: Bot) -> None:
    _control(sim, "/sim/limits", {"enabled": True, "chat_rate": 0.1, "chat_burst": 1})
    await bot.send_message(5, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(5, "second")
    assert caught.value.retry_after == 10
    assert decide(caught.value) == Wait(10.0)
    await bot.answer_callback_query("cq")  # callback answers are not rate limited
    assert _control(sim, "/sim/stats")["rate_limited"] == 1


async def test_blocked_user_raises_forbidden(sim: RunningSim, bot: Bot) -> None:
    _control(sim, "/sim/faults", {"block": [55]})
    with pytest.raises(Forbidden, match="blocked by the user") as caught:
        await bot.send_message(55, "hi")
    assert isinstance(decide(caught.value), Block)


async def test_migrated_group_raises_chat_migrated_and_the_new_id_works(
    sim: RunningSim, bot: Bot
) -> None:
    _control(sim, "/sim/faults", {"migrated": {"-4001": -1000000004001}})
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-4001, "hi")
    assert caught.value.new_chat_id == -1000000004001
    assert decide(caught.value) == Migrate(-1000000004001)
    moved = await bot.send_message(caught.value.new_chat_id, "hi")
    assert moved.chat.type == "supergroup"


async def test_server_error_raises_network_error(sim: RunningSim, bot: Bot) -> None:
    _control(sim, "/sim/faults", _sending_faults(error_next=1))
    with pytest.raises(NetworkError, match="Bad Gateway") as caught:
        await bot.send_message(1, "hi")
    assert type(caught.value) is NetworkError
    assert isinstance(decide(caught.value), Retry)
    await bot.send_message(1, "hi")  # the next call goes through


async def test_slow_answer_beyond_read_timeout_raises_timed_out(sim: RunningSim, bot: Bot) -> None:
    _control(sim, "/sim/faults", _sending_faults(slow_ms=1500))
    with pytest.raises(TimedOut) as caught:
        await bot.send_message(1, "hi", read_timeout=0.3)
    assert isinstance(decide(caught.value), Retry)


async def test_dropped_connection_raises_network_error(sim: RunningSim, bot: Bot) -> None:
    _control(sim, "/sim/faults", _sending_faults(drop_next=1))
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(1, "hi")
    assert not isinstance(caught.value, TimedOut | BadRequest)
    assert isinstance(decide(caught.value), Retry)
    assert (await bot.send_message(1, "again")).message_id == 1  # nothing was applied


async def test_calls_are_recorded_and_paginated(sim: RunningSim, bot: Bot) -> None:
    for i in range(3):
        await bot.send_message(100 + i, f"m{i}")
    page = _control(sim, "/sim/calls?since=0&limit=2")
    assert [c["method"] for c in page["calls"]] == ["getMe", "sendMessage"]
    rest = _control(sim, f"/sim/calls?since={page['next']}")
    assert [(c["chat_id"], c["params"]["text"], c["message_id"]) for c in rest["calls"]] == [
        (101, "m1", 1),
        (102, "m2", 1),
    ]
    assert all(c["at"] > 1e9 and c["mono"] > 0 for c in rest["calls"])


async def test_chat_messages_show_what_the_user_sees_now(sim: RunningSim, bot: Bot) -> None:
    await bot.send_message(9, "Q1", reply_markup=KEYBOARD)
    await bot.edit_message_text("Q1 (closed)", chat_id=9, message_id=1)
    seen = _control(sim, "/sim/chats/9/messages")
    assert seen["chat"]["id"] == 9
    assert [(m["text"], m.get("reply_markup")) for m in seen["messages"]] == [("Q1 (closed)", None)]


async def test_updates_feed_long_polls_for_deliveries(sim: RunningSim, bot: Bot) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as client:
        waiting = asyncio.create_task(client.get("/sim/updates", params={"since": 0, "timeout": 5}))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await bot.send_message(-77, "Q1", reply_markup=KEYBOARD)
        first = (await asyncio.wait_for(waiting, 5)).json()
        await bot.edit_message_reply_markup(chat_id=-77, message_id=1)
        later = (await client.get("/sim/updates", params={"since": first["next"]})).json()
    assert [(u["kind"], u["chat_id"], u["message"]["text"]) for u in first["updates"]] == [
        ("message", -77, "Q1")
    ]
    assert [(u["kind"], "reply_markup" in u["message"]) for u in later["updates"]] == [
        ("edit", False)
    ]


async def test_faults_endpoint_reports_the_script(sim: RunningSim) -> None:
    script = _control(sim, "/sim/faults", {"block": [3], "error_rate": 0.5, "seed": 1})
    assert script["blocked"] == [3]
    assert script["error_rate"] == 0.5
    assert _control(sim, "/sim/reset", {}) == {"ok": True}
    assert _control(sim, "/sim/faults")["blocked"] == []


async def test_uploads_arrive_as_multipart_and_are_recorded(sim: RunningSim, bot: Bot) -> None:
    photo = await bot.send_photo(8, photo=b"\x89PNG\r\n\x1a\n" + b"0" * 100, caption="pic")
    assert (photo.message_id, photo.caption) == (1, "pic")
    recorded = _control(sim, "/sim/calls")["calls"][-1]
    assert recorded["method"] == "sendPhoto"
    assert recorded["params"]["photo"]["size"] == 108


def test_plain_get_with_query_parameters_works_like_telegram(sim: RunningSim) -> None:
    answer = _control(sim, f"/bot{TOKEN}/SendMessage?chat_id=3&text=hello")
    assert answer["ok"] is True
    assert (answer["result"]["chat"]["id"], answer["result"]["text"]) == (3, "hello")


def test_errors_have_telegrams_envelope(sim: RunningSim) -> None:
    request = urllib.request.Request(f"{sim.url}/bot{TOKEN}/sendMessage?chat_id=3&text=")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400
    assert json.loads(caught.value.read()) == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }


async def test_a_reset_drops_calls_still_stalled_and_ends_long_polls(sim: RunningSim) -> None:
    # What a shared simulator must guarantee between tests: nothing started
    # before a reset lands in the state after it.
    _control(sim, "/sim/faults", _sending_faults(slow_ms=3000))
    async with httpx.AsyncClient(base_url=sim.url, timeout=10) as client:
        poll = asyncio.create_task(client.get("/sim/updates", params={"since": 0, "timeout": 30}))
        stalled = asyncio.create_task(
            client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "late"})
        )
        async with asyncio.timeout(10):  # the call has reached the simulator and stalls
            stats = (await client.get("/sim/stats")).json()
            while stats["in_flight"] < 1:
                stats = (await client.get("/sim/stats")).json()
        await client.post("/sim/reset", json={})
        ended = await asyncio.wait_for(poll, 5)
        with pytest.raises(httpx.TransportError):
            await asyncio.wait_for(stalled, 5)
    assert ended.json()["updates"] == []
    assert _control(sim, "/sim/calls")["calls"] == []
    assert _control(sim, "/sim/chats/5/messages")["messages"] == []
