"""The control API from asyncio: many scripted users acting at once on one loop.

:class:`~quizbot.sim.users.client.SimClient` makes one blocking request per
call, which suits a test or a script. A load test plays a thousand users
whose presses overlap; :class:`AsyncSimClient` sends the same requests over
one pooled aiohttp session, and its :class:`AsyncUser` acts as ``User`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from quizbot.sim.api.pool import PooledSession
from quizbot.sim.users.client import ControlRefused, Message, group_body, press_body, refused

__all__ = ["AsyncSimClient", "AsyncUser", "ControlRefused"]


class AsyncSimClient(PooledSession):
    """The control API of the simulator at ``url``; use as ``async with``."""

    def __init__(self, url: str, *, connections: int = 50, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.pool_limit = connections
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One control request; returns the JSON answer or raises ControlRefused."""
        assert self._session is not None, "use AsyncSimClient as an async context manager"
        payload = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"}
        async with self._session.request(
            method, self.url + path, data=payload, headers=headers
        ) as resp:
            data = orjson.loads(await resp.read())
            if resp.status >= 400:
                raise refused(resp.status, data)
            return data

    async def user(self, first_name: str, **fields: Any) -> AsyncUser:
        """Create a user (``id``, ``username``, ``last_name`` optional)."""
        created = await self.request("POST", "/sim/users", {"first_name": first_name, **fields})
        return AsyncUser(self, created["user"])

    async def group(
        self,
        title: str,
        members: Sequence[AsyncUser] = (),
        *,
        supergroup: bool = True,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Create a group (``supergroup=False``: a basic group) with ``members``; its Chat."""
        body = group_body(title, [u.id for u in members], (), supergroup)
        if chat_id is not None:
            body["id"] = chat_id
        chat: dict[str, Any] = (await self.request("POST", "/sim/chats", body))["chat"]
        return chat


class AsyncUser:
    """One scripted user; each coroutine is one thing a person does, returning its update."""

    def __init__(self, sim: AsyncSimClient, user: dict[str, Any]) -> None:
        self.sim = sim
        self.id: int = user["id"]
        self.info = user

    async def _act(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        done: dict[str, Any] = await self.sim.request(
            "POST", f"/sim/users/{self.id}/{action}", body
        )
        return done

    async def send(self, text: str, chat_id: int | None = None) -> dict[str, Any]:
        """Send text (or a ``/command``) to the private chat or ``chat_id``; the bot's update."""
        body: dict[str, Any] = {"text": text}
        if chat_id is not None:
            body["chat_id"] = chat_id
        update: dict[str, Any] = (await self._act("send", body))["update"]
        return update

    async def press(self, message: Message, *, data: str) -> dict[str, Any]:
        """Press the button of ``message`` whose callback_data is ``data``; the bot's update."""
        update: dict[str, Any] = (await self._act("press", press_body(message, data)))["update"]
        return update

    async def vote(self, message: Message, option_ids: list[int]) -> dict[str, Any]:
        """Vote in the non-anonymous poll of ``message``; the bot's ``poll_answer`` update."""
        body = {
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "option_ids": option_ids,
        }
        update: dict[str, Any] = (await self._act("vote", body))["update"]
        return update
