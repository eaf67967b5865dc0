"""Posting updates to the bot's webhook the way Telegram's servers do.

- Every request carries the ``X-Telegram-Bot-Api-Secret-Token`` header and a
  JSON ``Update``.
- At most ``max_connections`` requests are in flight, as set with setWebhook
  (1-100): a semaphore holds the rest back, and the connections are kept
  open for reuse (:mod:`quizbot.sim.api.connections`).
- Any non-2xx answer or connection error is retried with exponential
  backoff. The retry sends the same bytes, so the same ``update_id``: that is
  how the bot recognises a redelivery.
- A 2xx body may be a Bot API call to make on the bot's behalf ("reply in
  webhook"); an ``answerCallbackQuery`` there is the toast the player sees.
- ``round_trip_s`` models the network between Telegram and the bot (0 on
  loopback): half of it before the request reaches the bot, half before its
  answer is back, with the connection held all along, as it is for Telegram.
  It tells a limit of the bot from one of ``max_connections`` over a real
  network (at most ``max_connections / round_trip_s`` updates a second).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from quizbot.sim.api.connections import Connections, NoAnswer
from quizbot.telegram.errors import backoff

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class Sent:
    """One update posted to a webhook, and how the webhook took it."""

    update_id: int
    sent_at: float  # wall clock, first try
    acked_at: float | None = None  # wall clock of the 2xx
    ack_ms: float | None = None  # first try to 2xx, retries included
    status: int | None = None  # last HTTP status (None: no answer at all)
    toast: str | None = None  # answerCallbackQuery text in the reply body
    retries: int = 0
    error: str | None = None  # why it was never acknowledged

    @property
    def acknowledged(self) -> bool:
        """Whether the webhook answered 2xx (the bot promised to keep it)."""
        return self.acked_at is not None


class WebhookClient:
    """Delivers updates to one webhook URL; use as ``async with``."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        max_connections: int = 100,
        max_attempts: int = 8,
        backoff_base_s: float = 0.1,
        backoff_cap_s: float = 5.0,
        timeout_s: float = 30.0,
        round_trip_s: float = 0.0,
        rng: random.Random | None = None,
        on_failure: Callable[[str], None] | None = None,
        on_reply: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> None:
        """``on_failure`` hears each failed attempt (Telegram's wording of the
        error); ``on_reply`` gets each 2xx body, to run a reply-in-webhook call."""
        if not 1 <= max_connections <= 100:
            raise ValueError("max_connections must be 1-100, as Telegram allows")
        self.url = url
        self.headers = {"Content-Type": "application/json"}
        if secret:
            self.headers[SECRET_HEADER] = secret
        self.max_connections = max_connections
        self.max_attempts = max(1, max_attempts)
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.timeout_s = timeout_s
        self.half_trip_s = max(0.0, round_trip_s) / 2
        self.rng = rng or random.Random()
        self.on_failure = on_failure
        self.on_reply = on_reply
        self.in_flight = 0
        self.peak_in_flight = 0
        self._slots = asyncio.Semaphore(max_connections)
        self._connections: Connections | None = None

    async def __aenter__(self) -> WebhookClient:
        self._connections = Connections(self.url, self.headers, self.timeout_s)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connections is not None:
            self._connections.close()
            self._connections = None

    async def post(self, update: dict[str, Any], sent: Sent | None = None) -> Sent:
        """Deliver ``update`` until a 2xx or ``max_attempts`` tries; returns what happened.

        ``sent`` (created here when not given) is filled in as the delivery
        goes, so a caller that keeps it sees an unfinished delivery too.
        """
        body = orjson.dumps(update)
        sent = sent or Sent(update_id=update["update_id"], sent_at=time.time())
        started = time.perf_counter()
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                sent.retries += 1
                wait = backoff(
                    attempt - 1, self.backoff_base_s, self.backoff_cap_s, self.rng.random()
                )
                await asyncio.sleep(wait)
            status, reply, error = await self._attempt(body)
            sent.status = status
            if status is not None and 200 <= status < 300:
                sent.acked_at = time.time()
                sent.ack_ms = (time.perf_counter() - started) * 1000.0
                sent.toast = _toast(reply)
                sent.error = None
                if self.on_reply is not None:
                    await self.on_reply(reply)
                return sent
            sent.error = error or f"HTTP {status}"
            if self.on_failure is not None:
                self.on_failure(sent.error)
        return sent

    async def _attempt(self, body: bytes) -> tuple[int | None, bytes, str | None]:
        connections = self._connections
        assert connections is not None, "use WebhookClient as an async context manager"
        async with self._slots:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                if self.half_trip_s:
                    await _travel(self.half_trip_s)  # the request on its way
                answer = await connections.post(body)
                if self.half_trip_s:
                    await _travel(self.half_trip_s)  # the answer on its way back
            except (NoAnswer, TimeoutError) as exc:
                return None, b"", f"{type(exc).__name__}: {exc}"
            finally:
                self.in_flight -= 1
        if 200 <= answer.status < 300:
            return answer.status, answer.body, None
        # Telegram's own wording, as getWebhookInfo reports it.
        wrong = f"Wrong response from the webhook: {answer.status} {answer.reason}"
        return answer.status, answer.body, wrong.rstrip()


async def _travel(seconds: float) -> None:
    """Wait at least ``seconds``: the modelled network is never faster than asked.

    uvloop (the fake API's loop) keeps time in whole milliseconds, so a plain
    sleep may end up to a millisecond early; what is left is slept again.
    """
    deadline = time.perf_counter() + seconds
    while (left := deadline - time.perf_counter()) > 0:  # noqa: ASYNC110 (a deadline, no event)
        await asyncio.sleep(left)


def _toast(reply: bytes) -> str | None:
    """The answerCallbackQuery text of a reply-in-webhook body, if there is one."""
    if not reply:
        return None
    try:
        call = orjson.loads(reply)
    except orjson.JSONDecodeError:
        return None
    if isinstance(call, dict) and call.get("method") == "answerCallbackQuery":
        text = call.get("text")
        return text if isinstance(text, str) else ""
    return None
