"""The simulator drives any bot: an unmodified python-telegram-bot Application,
polling and on a webhook, and a bare Starlette webhook that fails at first.

Scripted users act through the control API client (quizbot.sim.client) and
the tests assert what each user saw.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import telegram
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from quizbot.sim.api.app import RunningSim
from quizbot.sim.api.runner import start_thread
from quizbot.sim.client import ControlRefused, SimClient, User
from tests.integration.sim.conftest import free_port

TOKEN = "424242:any-bot-token"
BOT = Path(__file__).with_name("ptb_echo_bot.py")
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def bot_process(
    sim: RunningSim, request: pytest.FixtureRequest
) -> Iterator[subprocess.Popen[bytes]]:
    args = [sys.executable, str(BOT), sim.url, TOKEN, *request.param]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield process
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _play(client: SimClient) -> tuple[User, User]:
    """Alice starts and presses Yes; Bob writes text and sends a document."""
    alice, bob = client.user("Alice", username="alice"), client.user("Bob")
    alice.send("/start")
    question = alice.wait_for(lambda m: "reply_markup" in m, timeout=30)
    assert question["text"] == "Hello Alice! Do you like quizzes?"
    alice.press(question, text="Yes")
    alice.wait_for(lambda m: m.get("text") == "Answer recorded: yes", timeout=30)
    bob.send("hello there")
    bob.wait_for(lambda m: m.get("text") == "echo: hello there", timeout=30)
    bob.send_document("notes.pdf", mime_type="application/pdf", size=2048)
    bob.wait_for(lambda m: m.get("text") == "got notes.pdf", timeout=30)
    return alice, bob


def _assert_what_they_saw(alice: User, bob: User) -> None:
    [question] = alice.bot_messages()
    assert question["text"] == "Answer recorded: yes"
    assert "reply_markup" not in question  # the edit removed the keyboard
    [before] = question["edits"]
    assert before["text"] == "Hello Alice! Do you like quizzes?"
    assert [b["text"] for b in before["reply_markup"]["inline_keyboard"][0]] == ["Yes", "No"]
    [toast] = alice.toasts()
    assert (toast["text"], toast["show_alert"], toast["data"]) == ("You said yes", False, "yes")
    assert [m["text"] for m in bob.bot_messages()] == ["echo: hello there", "got notes.pdf"]
    assert bob.toasts() == []
    # Each user's chat holds their own messages too, numbered with the bot's.
    assert [m["message_id"] for m in bob.messages()] == [1, 2, 3, 4]


@pytest.mark.parametrize("bot_process", [["polling"]], indirect=True)
def test_a_ptb_application_polling_plays_with_scripted_users(
    client: SimClient, bot_process: subprocess.Popen[bytes]
) -> None:
    alice, bob = _play(client)
    _assert_what_they_saw(alice, bob)
    assert client.webhook_info(TOKEN)["pending_update_count"] == 0


def test_a_webhook_bot_with_ptb_run_webhook_gets_updates_with_its_secret(
    sim: RunningSim, client: SimClient
) -> None:
    port = free_port()
    args = [sys.executable, str(BOT), sim.url, TOKEN, "webhook", str(port), "s3cret"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while client.webhook_info(TOKEN)["url"] != f"http://127.0.0.1:{port}/hook":
            assert process.poll() is None, process.stdout and process.stdout.read()
            assert time.monotonic() < deadline, "the bot never set its webhook"
            time.sleep(0.1)
        alice, bob = _play(client)
        _assert_what_they_saw(alice, bob)
        info = client.webhook_info(TOKEN)
        assert info["pending_update_count"] == 0
        assert "last_error_message" not in info
    finally:
        process.terminate()
        process.wait(15)


class FlakyBot:
    """A tiny Starlette webhook bot: 500 to its first delivery, then replies in the webhook."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[int, str | None]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        update = await request.json()
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.deliveries.append((update["update_id"], secret))
        if len(self.deliveries) == 1:
            return Response("boom", status_code=500)
        chat_id = update["message"]["chat"]["id"]
        return JSONResponse({"method": "sendMessage", "chat_id": chat_id, "text": "pong"})


async def test_a_failing_webhook_is_retried_and_getwebhookinfo_reports_the_error(
    sim: RunningSim, client: SimClient
) -> None:
    # The control client is synchronous: it runs off this loop (asyncio.to_thread).
    flaky = FlakyBot()
    hook = start_thread(flaky.app)
    try:
        async with telegram.Bot(TOKEN, base_url=sim.bot_base_url) as bot:
            await bot.set_webhook(f"{hook.url}/hook", secret_token="abc", max_connections=1)
            carol = await asyncio.to_thread(lambda: client.user("Carol"))
            await asyncio.to_thread(lambda: carol.send("/ping"))
            pong = await asyncio.to_thread(lambda: carol.wait_for(lambda m: m["text"] == "pong"))
            info = await bot.get_webhook_info()
        assert pong["chat"]["id"] == carol.id
        first, second = flaky.deliveries
        assert first == second  # the same update_id again, with the secret both times
        assert first[1] == "abc"
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert info.last_error_date is not None
    finally:
        hook.stop()


def test_getupdates_long_polls_honours_offset_and_a_later_poller_takes_the_waiting_ones_place(
    sim: RunningSim, client: SimClient
) -> None:
    dave = client.user("Dave")
    results: dict[str, object] = {}

    def poll(name: str, timeout: int) -> None:
        try:
            results[name] = client.request("GET", f"/bot{TOKEN}/getUpdates?timeout={timeout}")
        except ControlRefused as exc:
            results[name] = exc

    def polls() -> int:
        calls = client.request("GET", "/sim/calls")["calls"]
        return sum(c["method"] == "getUpdates" for c in calls)

    def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline
            time.sleep(0.02)

    first = threading.Thread(target=poll, args=("first", 30))
    started = time.monotonic()
    first.start()
    until(lambda: polls() == 1)  # the long poll is open (its call is recorded when it starts)
    second = threading.Thread(target=poll, args=("second", 25))
    second.start()
    first.join(10)  # as Telegram does, the later poll ends the waiting one with 409
    refused = results["first"]
    assert isinstance(refused, ControlRefused) and refused.status == 409
    until(lambda: polls() == 2)
    dave.send("/one")
    second.join(30)
    assert time.monotonic() - started < 20  # the update ended the later long poll
    [update] = results["second"]["result"]  # type: ignore[index]
    assert update["message"]["text"] == "/one"
    dave.send("/two")
    again = client.request("GET", f"/bot{TOKEN}/getUpdates")["result"]
    assert [u["message"]["text"] for u in again] == ["/one", "/two"]  # not confirmed yet
    offset = again[-1]["update_id"] + 1
    assert client.request("GET", f"/bot{TOKEN}/getUpdates?offset={offset}")["result"] == []
    dave.send("/three")
    only = client.request("GET", f"/bot{TOKEN}/getUpdates?allowed_updates=%5B%22poll%22%5D")
    assert only["result"] == []  # a message is not a poll: dropped, as Telegram does


def test_a_malformed_control_request_names_its_field(client: SimClient) -> None:
    with pytest.raises(ControlRefused) as missing:
        client.request("POST", "/sim/users", {"username": "x"})
    assert (missing.value.status, missing.value.field) == (400, "first_name")
    erin = client.user("Erin")
    with pytest.raises(ControlRefused) as wrong:
        client.request("POST", f"/sim/users/{erin.id}/send", {"text": 5})
    assert (wrong.value.status, wrong.value.field) == (400, "text")
    with pytest.raises(ControlRefused) as nobody:
        client.request("POST", "/sim/users/999/send", {"text": "hi"})
    assert (nobody.value.status, nobody.value.field) == (404, "user_id")
    with pytest.raises(ControlRefused) as outsider:
        erin.send("hi", chat_id=-1001234)
    assert outsider.value.field == "chat_id"
