"""The fake Bot API's delivery feed, read by one task for the whole swarm.

``GET /sim/updates?since=SEQ&timeout=S`` long-polls for what the bot made
Telegram show: new messages, edits and deletions in every chat, each with
the moment it was delivered. One reader serves every simulated player (a
poller per player would cost more than the bot being measured); the swarm
routes each entry to the players of its chat.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One feed entry: ``kind`` is "message", "edit", "delete" or "webhook".

    A "webhook" entry is not in any chat: it says how the bot's webhook took
    one update (``webhook``: its update_id, acknowledged, toast, ack_ms...).
    """

    seq: int
    kind: str
    at: float  # the fake API's wall clock when it happened
    chat_id: int
    message_id: int
    message: dict[str, Any] | None
    webhook: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Delivery:
        """An entry of the ``/sim/updates`` answer."""
        if raw["kind"] == "webhook":
            return cls(raw["seq"], "webhook", raw["at"], 0, 0, None, raw["webhook"])
        return cls(
            raw["seq"], raw["kind"], raw["at"], raw["chat_id"], raw["message_id"], raw["message"]
        )


class FeedReader:
    """Reads the feed of the fake Bot API at ``api_url`` from a cursor onwards."""

    def __init__(self, api_url: str, *, poll_timeout_s: int = 5, page: int = 5000) -> None:
        self.api_url = api_url.rstrip("/")
        self.poll_timeout_s = poll_timeout_s
        self.page = page
        self.cursor = 0
        self.failures = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FeedReader:
        # Its own small pool: the long poll must never queue behind webhook posts.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=2),
            timeout=aiohttp.ClientTimeout(total=self.poll_timeout_s + 30),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, since: int, limit: int, wait_s: float) -> dict[str, Any]:
        assert self._session is not None, "use FeedReader as an async context manager"
        url = f"{self.api_url}/sim/updates"
        params = {"since": str(since), "limit": str(limit), "timeout": str(math.ceil(wait_s))}
        async with self._session.get(url, params=params) as resp:
            resp.raise_for_status()
            data: dict[str, Any] = orjson.loads(await resp.read())
            return data

    async def skip_to_end(self) -> int:
        """Move the cursor past everything delivered so far; returns it.

        The feed answers "what came after SEQ", so the newest sequence number
        is found by doubling SEQ until nothing comes after it, then bisecting:
        a few dozen tiny requests even for a journal of a million entries.
        """

        async def anything_after(seq: int) -> bool:
            return bool((await self._get(seq, 1, 0))["updates"])

        if not await anything_after(0):
            self.cursor = 0
            return 0
        low, high = 0, 1  # invariant: something after low, nothing after high
        while await anything_after(high):
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if await anything_after(middle):
                low = middle
            else:
                high = middle
        self.cursor = high
        return high

    async def blocked(self) -> set[int]:
        """The chats whose users have blocked the bot, as the fake API's fault script says."""
        assert self._session is not None, "use FeedReader as an async context manager"
        async with self._session.get(f"{self.api_url}/sim/faults") as resp:
            resp.raise_for_status()
            data: dict[str, Any] = orjson.loads(await resp.read())
            return {int(chat) for chat in data.get("blocked", [])}

    async def next_batch(self) -> list[Delivery]:
        """The entries after the cursor, waiting up to ``poll_timeout_s`` for some.

        A failed request (the fake API restarting, say) is logged and
        answered with an empty batch after a short pause; the caller's own
        timeout decides when to give up.
        """
        try:
            data = await self._get(self.cursor, self.page, self.poll_timeout_s)
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            self.failures += 1
            log.warning("reading the fake Bot API's feed failed: %s", exc)
            await asyncio.sleep(min(2.0, 0.1 * self.failures))
            return []
        self.failures = 0
        batch = [Delivery.from_json(raw) for raw in data["updates"]]
        if batch:
            self.cursor = batch[-1].seq
        return batch
