"""A getUpdates bridge: play with a real bot from a laptop that Telegram cannot reach.

Telegram can only post webhooks to a public HTTPS address. Without one, this
bridge long-polls ``getUpdates`` and posts each update to the local webhook
exactly as Telegram would (secret header, one update per request, retry on
non-2xx). A webhook reply body (reply-in-webhook, e.g. ``answerCallbackQuery``)
has no HTTP response to ride on here, so the bridge makes that call itself.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import aiohttp
import orjson
from telegram import Bot
from telegram.warnings import PTBUserWarning

from quizbot.telegram.errors import backoff
from quizbot.telegram.request import AiohttpRequest
from quizbot.telegram.updates import ALLOWED_UPDATES

log = logging.getLogger(__name__)


class UpdatesBridge:
    """Feed Telegram's updates for ``token`` into ``webhook_url``."""

    def __init__(self, token: str, api_url: str, webhook_url: str, secret: str) -> None:
        # Generic do_api_request calls are deliberate (raw JSON in and out).
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)
        self.bot = Bot(
            token,
            base_url=f"{api_url.rstrip('/')}/bot",
            request=AiohttpRequest(connection_pool_size=4),
            # The long poll holds its request for up to 30 s: a longer read timeout.
            get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=40),
        )
        self.webhook_url = webhook_url
        self.secret = secret
        self.stop = asyncio.Event()
        self.forwarded = 0

    async def run(self) -> None:
        """Poll and forward until :attr:`stop` is set."""
        async with self.bot, aiohttp.ClientSession() as http:
            # getUpdates refuses to work while a webhook is set.
            await self.bot.delete_webhook()
            offset = 0
            while not self.stop.is_set():
                try:
                    updates = await self._get_updates(offset)
                except Exception as exc:
                    log.warning("getUpdates failed: %s", exc)
                    await asyncio.sleep(2)
                    continue
                for update in updates or []:
                    await self._forward(http, update)
                    offset = int(update["update_id"]) + 1

    async def _get_updates(self, offset: int) -> list[dict[str, Any]]:
        # do_api_request hands back raw JSON, not telegram.Update objects: the
        # webhook gets exactly what Telegram sent, unknown fields included.
        result = await self.bot.do_api_request(
            "getUpdates",
            api_kwargs={"offset": offset, "timeout": 30, "allowed_updates": list(ALLOWED_UPDATES)},
            read_timeout=40,
        )
        return list(result) if isinstance(result, list) else []

    async def _forward(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        body = orjson.dumps(update)
        headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": self.secret,
        }
        for attempt in range(1, 9):
            try:
                async with http.post(self.webhook_url, data=body, headers=headers) as resp:
                    payload = await resp.read()
                    if resp.status < 300:
                        self.forwarded += 1
                        await self._reply(payload)
                        return
                    log.warning("webhook answered %s; retrying", resp.status)
            except aiohttp.ClientError as exc:
                log.warning("webhook unreachable (%s); retrying", exc)
            await asyncio.sleep(backoff(attempt, base=0.5, cap=10))
        log.error("gave up on update %s after 8 attempts", update.get("update_id"))

    async def _reply(self, payload: bytes) -> None:
        if not payload.strip():
            return
        try:
            reply = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if isinstance(reply, dict) and "method" in reply:
            method = str(reply.pop("method"))
            try:
                await self.bot.do_api_request(method, api_kwargs=reply)
            except Exception as exc:
                log.warning("%s from the webhook reply failed: %s", method, exc)
