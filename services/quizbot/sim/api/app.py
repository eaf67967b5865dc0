"""The fake Bot API over HTTP: ``/bot<token>/<method>`` like api.telegram.org,
plus the ``/sim/*`` control and observation endpoints.

python-telegram-bot builds its URLs as ``base_url + token + "/" + method``,
so ``telegram.Bot(token, base_url="http://127.0.0.1:PORT/bot")`` talks to
this app unchanged. Calls may arrive as JSON, form-encoded (what PTB's
default transport sends, nested objects JSON-encoded) or multipart, with
parameters in the query string too, like Telegram accepts them.

Files, like Telegram's file server: ``GET /file/bot<token>/<file_path>`` gives
the bytes of a file whose ``file_path`` came from ``getFile`` (documents the
bot uploaded and documents scripted users sent, :mod:`quizbot.sim.api.files`).

Control endpoints (JSON):

- ``GET /sim/calls?since=SEQ&limit=N``: accepted calls after SEQ, each with the
  ``outbox_id`` its client sent in an ``X-Outbox-Id`` header (None without one).
- ``GET /sim/updates?since=SEQ&timeout=S&limit=N``: deliveries (new,
  edited, deleted messages) after SEQ, long-polling up to S seconds.
- ``GET /sim/chats/<chat_id>/messages``: a chat's messages as they are now.
- ``GET /sim/stats``: counts by method and outcome, 429s issued.
- ``GET|POST /sim/faults``: read or patch the fault script.
- ``GET|POST /sim/limits``: read or change flood limits (``{"enabled": false}``,
  ``{"chat_rate": 0.5}``); buckets refill.
- ``POST /sim/reset``: back to the start-up state (nothing recorded, start-up
  limits and fault script).
- ``/sim/users``, ``/sim/chats``: scripted users (:mod:`quizbot.sim.api.control`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from quizbot.heap import freeze_survivors
from quizbot.sim.api import protocol
from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.control import Control
from quizbot.sim.api.engine import FakeTelegram
from quizbot.sim.api.files import FilePart, encode
from quizbot.sim.api.runner import RunningSim, serve, start_thread
from quizbot.sim.api.state import call_json, update_json

__all__ = ["RunningSim", "SimConfig", "create_app", "run", "start_in_thread"]

_RAW_SEND = "quizbot.sim.raw_send"


class SimApp(Starlette):
    """Starlette, keeping the server's own ``send`` so a call can drop its connection."""

    telegram: FakeTelegram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_RAW_SEND] = send
        await super().__call__(scope, receive, send)


def create_app(config: SimConfig | None = None) -> SimApp:
    """The fake Bot API as a Starlette app; ``app.telegram`` is its engine."""
    telegram = FakeTelegram(config or SimConfig())
    handlers = _Handlers(telegram)
    app = SimApp(
        routes=[
            Route("/bot{token}/{method}", handlers.bot_call, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", handlers.file),
            Route("/sim/calls", handlers.calls),
            Route("/sim/updates", handlers.updates),
            Route("/sim/chats/{chat_id}/messages", handlers.chat_messages),
            Route("/sim/stats", handlers.stats),
            Route("/sim/faults", handlers.faults, methods=["GET", "POST"]),
            Route("/sim/limits", handlers.limits, methods=["GET", "POST"]),
            Route("/sim/reset", handlers.reset, methods=["POST"]),
            *Control(telegram.state).routes(),
        ]
    )
    app.telegram = telegram
    return app


def run(config: SimConfig, host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve the fake Bot API in the foreground (``quizbot sim api``)."""
    # Its own process: the journals grow with the run, and full collections
    # walking them again paused every delivery (see quizbot.heap).
    freeze_survivors()
    app = create_app(config)
    serve(app, host=host, port=port, on_shutdown=app.telegram.close)


def start_in_thread(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSim:
    """Serve the fake Bot API on a background thread (tests, benches, demo).

    ``port=0`` picks a free port; read it from the returned ``RunningSim``.
    """
    app = create_app(config)
    return start_thread(app, host=host, port=port, on_shutdown=app.telegram.close)


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=encode), status, media_type="application/json")


def _int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be an integer") from None


class _Handlers:
    def __init__(self, telegram: FakeTelegram) -> None:
        self.tg = telegram

    async def bot_call(self, request: Request) -> Response:
        try:
            params = await _params(request)
        except ValueError:
            body = protocol.error_body(400, "Bad Request: can't parse request body")
            return Response(body, 400, media_type="application/json")
        path = request.path_params
        tag = request.headers.get("x-outbox-id", "")
        outbox_id = int(tag) if tag.isdigit() else None
        if path["method"].lower() != "getupdates":
            answer = await self.tg.call(path["token"], path["method"], params, outbox_id=outbox_id)
        else:
            # A long poll ends when its caller hangs up, so a bot that stops
            # polling does not hold the poll (and a 409) for its whole timeout.
            gone = asyncio.Event()
            watcher = asyncio.create_task(_hang_up(request, gone))
            try:
                answer = await self.tg.call(path["token"], path["method"], params, gone)
            finally:
                watcher.cancel()
        if answer.drop:
            return _Dropped()
        return Response(answer.body, answer.status, media_type="application/json")

    async def file(self, request: Request) -> Response:
        """A file's bytes at the ``file_path`` getFile gave, like Telegram's file server."""
        token = request.path_params["token"]
        stored = self.tg.state.files.by_path.get(request.path_params["path"])
        if stored is None or self.tg.config.token not in (None, token):
            body = protocol.error_body(404, "Not Found")
            return Response(body, 404, media_type="application/json")
        # The fault script's errors reach downloads too, named "file" in its methods.
        if self.tg.faults.transport("file").error:
            error = self.tg.faults.error()
            self.tg.state.stats["file", str(error.code)] += 1
            return Response(error.body(), error.code, media_type="application/json")
        return Response(stored.data, media_type="application/octet-stream")

    async def calls(self, request: Request) -> Response:
        since, limit = _int(request, "since", 0), _int(request, "limit", 1000)
        entries = self.tg.state.calls.since(since, limit)
        return _json(
            {
                "calls": [call_json(seq, e) for seq, e in entries],
                "next": entries[-1][0] if entries else max(since, self.tg.state.calls.first - 1),
                "first": self.tg.state.calls.first,
            }
        )

    async def updates(self, request: Request) -> Response:
        since, limit = _int(request, "since", 0), _int(request, "limit", 1000)
        timeout = float(_int(request, "timeout", 0))
        feed = self.tg.state.feed
        if timeout > 0 and not self.tg.stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(timeout, 60.0)):
                    await feed.wait(since)
        entries = feed.since(since, limit)
        next_seq = entries[-1][0] if entries else max(since, feed.first - 1)
        return _json({"updates": [update_json(s, e) for s, e in entries], "next": next_seq})

    async def chat_messages(self, request: Request) -> Response:
        try:
            chat_id = int(request.path_params["chat_id"])
        except ValueError:
            return _json({"error": "chat_id must be an integer"}, 400)
        chat = self.tg.state.chats.get(chat_id)
        if chat is None:
            return _json({"chat": None, "messages": []})
        return _json({"chat": chat.info, "messages": list(chat.messages.values())})

    async def stats(self, request: Request) -> Response:
        return _json(self.tg.stats())

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.tg.set_faults(orjson.loads(await request.body()))
            except (ValueError, TypeError, AttributeError) as exc:
                return _json({"error": str(exc)}, 400)
        return _json(self.tg.faults.snapshot())

    async def limits(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.tg.set_limits(orjson.loads(await request.body()))
            except (ValueError, TypeError) as exc:
                return _json({"error": str(exc)}, 400)
        rates = dataclasses.asdict(self.tg.limiter.config)
        return _json({"enabled": self.tg.limits_on, **rates})

    async def reset(self, request: Request) -> Response:
        self.tg.reset()
        return _json({"ok": True})


async def _hang_up(request: Request, gone: asyncio.Event) -> None:
    # Once the body is read, the next ASGI message is the client's disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass
    gone.set()


async def _params(request: Request) -> dict[str, Any]:
    """The call's parameters from the query string and the body, as Telegram reads them."""
    params: dict[str, Any] = {}
    if request.scope["query_string"]:
        params.update(request.query_params)
    body = await request.body()
    if not body:
        return params
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        data = orjson.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        params.update(data)
    elif ctype.startswith("multipart/form-data"):
        params.update(_multipart(ctype, body))
    else:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _multipart(ctype: str, body: bytes) -> dict[str, Any]:
    # Uploads are rare (certificates, photos, documents): the stdlib MIME parser is enough.
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    out: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            out[name] = data.decode("utf-8", "replace")
        else:
            out[name] = FilePart(filename, part.get_content_type(), data)
    return out


class _Dropped(Response):
    """Close the connection without answering.

    Under uvicorn the server's ``send`` is a bound method of the request
    cycle, whose transport we abort: the client sees the connection closed
    (reset) before any response byte, e.g. aiohttp's ServerDisconnectedError
    or httpx's RemoteProtocolError, which python-telegram-bot reports as
    NetworkError. Elsewhere we promise a body and never send it, so the
    client sees a truncated response instead.
    """

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get(_RAW_SEND)
        transport = getattr(getattr(raw, "__self__", None), "transport", None)
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()
            # Let uvicorn see connection_lost, so it neither writes nor logs.
            await asyncio.sleep(0)
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
        )
        await send({"type": "http.response.body", "body": b"", "more_body": False})
