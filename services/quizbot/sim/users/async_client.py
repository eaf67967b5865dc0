"""The control API from asyncio: many scripted users acting at once on one loop.

:class:`~quizbot.sim.users.client.SimClient` makes one blocking request per
call, which suits a test or a script. A load test plays a thousand users
whose presses overlap; :class:`AsyncSimClient` sends the same requests over
one pooled aiohttp session, and its :class:`AsyncUser` acts as ``User`` does.

Users' actions are coalesced, the way Nagle's algorithm coalesces small
writes: an action goes out at once when no batch is on the wire, and the
actions made meanwhile go out together (``POST /sim/actions``) when it
returns. A lone action waits for nothing, and a thousand players cost the
simulator a few requests per round trip instead of one each, which keeps the
harness's share of the machine small next to the bot it measures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from quizbot.sim.api.control import BATCH_MAX
from quizbot.sim.api.pool import PooledSession
from quizbot.sim.users.client import ControlRefused, Message, group_body, press_body, refused

__all__ = ["AsyncSimClient", "AsyncUser", "ControlRefused"]


class AsyncSimClient(PooledSession):
    """The control API of the simulator at ``url``; use as ``async with``."""

    def __init__(
        self, url: str, *, connections: int = 50, timeout_s: float = 30.0, brief: bool = False
    ) -> None:
        """``brief``: each action's update is only its ``{"update_id": ...}`` (see /sim/actions)."""
        self.url = url.rstrip("/")
        self.brief = brief
        self.pool_limit = connections
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._batch: list[tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]] = []
        self._sending = False

    async def act(self, user_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """A user's action (see /sim/actions); its answer, or ControlRefused."""
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._batch.append(({**body, "user_id": user_id, "action": action}, done))
        if not self._sending:
            self._send_next()
        return await done

    def _send_next(self) -> None:
        batch, self._batch = self._batch[:BATCH_MAX], self._batch[BATCH_MAX:]
        self._sending = True
        task = asyncio.get_running_loop().create_task(self._send(batch))
        task.add_done_callback(lambda _: self._sent())

    def _sent(self) -> None:
        self._sending = False
        if self._batch:
            self._send_next()

    async def _send(self, batch: list[tuple[dict[str, Any], asyncio.Future[Any]]]) -> None:
        failure: Exception = ConnectionError("the batch's request ended without an answer")
        try:
            actions = [a for a, _ in batch]
            answer = await self.request(
                "POST", "/sim/actions", {"actions": actions, "brief": self.brief}
            )
            results = answer["results"]
            if len(results) != len(batch):
                raise ValueError(f"{len(results)} results for {len(batch)} actions")
            for (_, done), result in zip(batch, results, strict=True):
                if done.done():  # its caller gave up (cancelled)
                    continue
                if result["ok"]:
                    done.set_result(result)
                else:
                    done.set_exception(refused(result["status"], result))
        except asyncio.CancelledError:
            failure = ConnectionError("the batch's request was cancelled")
            raise
        except Exception as exc:  # the request failed: so did each action in it
            failure = exc
        finally:
            # No caller waits forever: whatever was not answered fails with the cause.
            for _, done in batch:
                if not done.done():
                    done.set_exception(failure)

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
    """One scripted user; each coroutine is one thing a person does, returning its update
    (from a brief client, the update's ``{"update_id": ...}`` only)."""

    def __init__(self, sim: AsyncSimClient, user: dict[str, Any]) -> None:
        self.sim = sim
        self.id: int = user["id"]
        self.info = user

    async def _act(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.sim.act(self.id, action, body)

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
