"""Webhook delivery: with a webhook set, the bot's updates are POSTed to it
the way Telegram's servers do (see :mod:`quizbot.sim.api.webhook`).

One task per webhook URL drains the inbox: up to ``max_connections``
updates in flight, each retried with backoff until a 2xx, which confirms it.
A failed attempt becomes getWebhookInfo's ``last_error_date`` and
``last_error_message``; an update still refused after ``max_attempts`` is
dropped, as Telegram eventually drops it. A 2xx body that names a method
("reply in webhook") is executed as a Bot API call of the bot's token.

Each update's outcome goes on the feed (kind "webhook"): its ``update_id``,
whether it was acknowledged, the toast of a reply-in-webhook
answerCallbackQuery, retries, and ``ack_ms`` from the moment the update was
queued (a press) to the 2xx, the wait for a free connection included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from quizbot.sim.api.state import SimState
from quizbot.sim.api.webhook import WebhookClient

log = logging.getLogger(__name__)

# (token, method, params) -> None: a Bot API call made on the bot's behalf.
Caller = Callable[[str, str, dict[str, Any]], Awaitable[object]]


class Delivery:
    """Keeps one delivery task running for the webhook set in ``state``."""

    def __init__(
        self, state: SimState, caller: Caller, max_attempts: int = 12, round_trip_s: float = 0.0
    ) -> None:
        self.state = state
        self.caller = caller
        self.max_attempts = max_attempts
        self.round_trip_s = round_trip_s  # the network's, per request (see WebhookClient)
        self.dropped = 0
        self.peak_in_flight = 0
        self._replies: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._target: tuple[str, str, int] | None = None

    def sync(self, token: str) -> None:
        """Start, restart or stop delivery after the webhook changed (on the server's loop)."""
        hook = self.state.webhook
        target: tuple[str, str, int] | None = None
        if hook.get("url"):
            target = (hook["url"], hook.get("secret_token", ""), hook.get("max_connections", 40))
        if target == self._target and self._task is not None and not self._task.done():
            return
        self.stop()
        self._target = target
        if target is not None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(token, *target), name="sim-webhook-delivery"
            )

    def stop(self) -> None:
        """Stop delivering (the webhook was removed, or the simulator reset)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._target = None

    async def _run(self, token: str, url: str, secret: str, max_connections: int) -> None:
        inbox = self.state.inbox
        in_flight: dict[int, asyncio.Task[None]] = {}

        async def reply(body: bytes) -> None:
            # Telegram takes the reply with the response and frees the connection
            # at once: the call runs on its own, and a slow or failing Bot API
            # (a fault script) delays neither the 2xx nor the next update.
            task = asyncio.create_task(self._reply(token, body))
            self._replies.add(task)
            task.add_done_callback(self._replies.discard)

        client = WebhookClient(
            url,
            secret or None,
            max_connections=max_connections,
            max_attempts=self.max_attempts,
            round_trip_s=self.round_trip_s,
            on_failure=self._failed,
            on_reply=reply,
        )
        async with client:
            try:
                while True:
                    free = max_connections - len(in_flight)
                    batch = [
                        u
                        for u in inbox.peek(len(in_flight) + free)
                        if u["update_id"] not in in_flight
                    ]
                    for update in batch[:free]:
                        uid = update["update_id"]
                        in_flight[uid] = asyncio.create_task(
                            self._deliver(client, update, in_flight)
                        )
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await inbox.wait()
            finally:
                for task in in_flight.values():
                    task.cancel()

    async def _deliver(
        self,
        client: WebhookClient,
        update: dict[str, Any],
        in_flight: dict[int, asyncio.Task[None]],
    ) -> None:
        uid = update["update_id"]
        started = time.monotonic()
        queued = self.state.inbox.queued_at.get(uid, started)
        try:
            sent = await client.post(update)
            self.peak_in_flight = max(self.peak_in_flight, client.peak_in_flight)
            if not sent.acknowledged:
                self.dropped += 1
                log.warning("webhook refused update %s %d times: dropped", uid, self.max_attempts)
            self.state.inbox.remove(uid)
            # The wait in the inbox, then the tries up to the 2xx.
            waited_ms = (started - queued) * 1000.0
            ack_ms = waited_ms + sent.ack_ms if sent.ack_ms is not None else None
            self.state.webhook_outcome(
                {
                    "update_id": uid,
                    "acknowledged": sent.acknowledged,
                    "acked_at": sent.acked_at,
                    "ack_ms": ack_ms,
                    "status": sent.status,
                    "toast": sent.toast,
                    "retries": sent.retries,
                    "error": sent.error,
                }
            )
        finally:
            in_flight.pop(uid, None)
            self.state.inbox.interrupt()  # a slot is free

    def _failed(self, error: str) -> None:
        self.state.webhook_error = (int(self.state.wall_clock()), error)

    async def _reply(self, token: str, body: bytes) -> None:
        try:
            call = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            return
        if isinstance(call, dict) and isinstance(call.get("method"), str):
            params = {k: v for k, v in call.items() if k != "method"}
            await self.caller(token, call["method"], params)
