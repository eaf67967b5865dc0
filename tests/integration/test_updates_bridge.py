"""The getUpdates bridge feeds Telegram's updates to the local webhook like Telegram would."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from quizbot.sim.api.runner import start_thread
from quizbot.stack.bridge import UpdatesBridge

UPDATE = {
    "update_id": 500,
    "callback_query": {
        "id": "cq-1",
        "from": {"id": 42, "is_bot": False, "first_name": "Ada"},
        "chat_instance": "ci",
        "data": "a:1:0:1",
    },
}


def telegram_stand_in(calls: list[tuple[str, dict[str, Any]]]) -> Starlette:
    """Telegram for one bot: one pending update, then nothing."""
    served = {"done": False}

    async def method(request: Request) -> JSONResponse:
        name = request.path_params["method"]
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:  # form-encoded, as Telegram also accepts
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            body = {k: int(v) if v.isdigit() else v for k, v in body.items()}
        calls.append((name, body))
        if name == "getUpdates":
            if served["done"] or body.get("offset", 0) > UPDATE["update_id"]:
                await asyncio.sleep(0.05)
                return JSONResponse({"ok": True, "result": []})
            served["done"] = True
            return JSONResponse({"ok": True, "result": [UPDATE]})
        if name == "getMe":
            bot = {"id": 1, "is_bot": True, "first_name": "Quiz", "username": "quiz_bot"}
            return JSONResponse({"ok": True, "result": bot})
        return JSONResponse({"ok": True, "result": True})

    return Starlette(routes=[Route("/bot{token}/{method}", method, methods=["POST"])])


def webhook_stand_in(received: list[tuple[dict[str, Any], str | None]]) -> Starlette:
    """A webhook that fails the first delivery, then answers in its response body."""

    async def hook(request: Request) -> JSONResponse:
        received.append(
            (await request.json(), request.headers.get("x-telegram-bot-api-secret-token"))
        )
        if len(received) == 1:
            return JSONResponse({}, status_code=503)
        return JSONResponse(
            {"method": "answerCallbackQuery", "callback_query_id": "cq-1", "text": "locked in"}
        )

    return Starlette(routes=[Route("/telegram/webhook", hook, methods=["POST"])])


def test_updates_are_forwarded_with_the_secret_retried_and_replies_made() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    received: list[tuple[dict[str, Any], str | None]] = []
    with (
        start_thread(telegram_stand_in(calls)) as api,
        start_thread(webhook_stand_in(received)) as web,
    ):
        bridge = UpdatesBridge("1:T", api.url, f"{web.url}/telegram/webhook", "s3cret")

        async def run() -> None:
            task = asyncio.create_task(bridge.run())
            # Until the bridge has confirmed the update by asking for the next
            # one (offset 501), not merely forwarded it (bounded: 10 s).
            for _ in range(500):
                if any(n == "getUpdates" and b.get("offset") == 501 for n, b in calls):
                    break
                await asyncio.sleep(0.02)
            bridge.stop.set()
            await asyncio.wait_for(task, 5)

        asyncio.run(run())
    names = [name for name, _ in calls if name != "getMe"]
    assert names[0].lower() == "deletewebhook"  # getUpdates needs the webhook off
    assert [body for body, _ in received] == [UPDATE, UPDATE]  # retried after the 503
    assert {secret for _, secret in received} == {"s3cret"}
    answers = [body for name, body in calls if name == "answerCallbackQuery"]
    assert answers == [{"callback_query_id": "cq-1", "text": "locked in"}]
    offsets = [body.get("offset") for name, body in calls if name == "getUpdates"]
    assert 501 in offsets  # the update is confirmed, never fetched twice
