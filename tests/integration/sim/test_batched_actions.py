"""Many users' actions in one request: /sim/actions, and the asyncio client
that coalesces its users' actions into it."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import SimClient
from quizbot.sim.users.async_client import AsyncSimClient, ControlRefused

TOKEN = "737373:batch-token"


def _texts(client: SimClient) -> list[str]:
    updates = client.request("GET", f"/bot{TOKEN}/getUpdates")["result"]
    return [u["message"]["text"] for u in updates]


def test_each_action_of_a_batch_is_answered_on_its_own(client: SimClient) -> None:
    ann, bob = client.user("Ann"), client.user("Bob")
    answer = client.request(
        "POST",
        "/sim/actions",
        {
            "actions": [
                {"user_id": ann.id, "action": "send", "text": "/one"},
                {"user_id": bob.id, "action": "send", "text": 5},
                {"user_id": 999_999, "action": "send", "text": "/lost"},
                {"user_id": bob.id, "action": "dance"},
                "not an object",
                {"user_id": bob.id, "action": "send", "text": "/two"},
            ]
        },
    )
    results = answer["results"]
    assert [r["ok"] for r in results] == [True, False, False, False, False, True]
    assert [(r.get("status"), r.get("field")) for r in results[1:5]] == [
        (400, "text"),
        (404, "user_id"),
        (400, "action"),
        (400, "body"),
    ]
    assert results[0]["update"]["message"]["from"]["id"] == ann.id
    # The refused ones left no trace; the others reached the bot, in order.
    assert _texts(client) == ["/one", "/two"]


async def test_a_brief_client_gets_each_update_as_its_id_only(
    sim: RunningSim, client: SimClient
) -> None:
    ann = client.user("Ann")
    async with AsyncSimClient(sim.url, brief=True) as brief:
        update = await brief.act(ann.id, "send", {"text": "/short"})
        refused = brief.act(ann.id, "send", {"text": 5})
        with pytest.raises(ControlRefused) as wrong:
            await refused
    assert update == {"ok": True, "update": {"update_id": update["update"]["update_id"]}}
    assert wrong.value.field == "text"  # a refusal still says why
    delivered = client.request("GET", f"/bot{TOKEN}/getUpdates")["result"]
    assert [(u["update_id"], u["message"]["text"]) for u in delivered] == [
        (update["update"]["update_id"], "/short")
    ]


def test_a_batch_that_is_not_a_list_of_actions_is_refused(client: SimClient) -> None:
    with pytest.raises(ControlRefused) as wrong:
        client.request("POST", "/sim/actions", {"actions": {"user_id": 1}})
    assert (wrong.value.status, wrong.value.field) == (400, "actions")


async def test_concurrent_actions_coalesce_and_each_caller_gets_its_own_answer(
    sim: RunningSim, client: SimClient
) -> None:
    ids = [client.user(f"P{i}").id for i in range(60)]

    class Counting(AsyncSimClient):
        requests = 0

        async def request(self, method: str, path: str, body: Any = None) -> Any:
            Counting.requests += 1
            return await super().request(method, path, body)

    async with Counting(sim.url) as sim_client:
        sends = [sim_client.act(uid, "send", {"text": f"/n{uid}"}) for uid in ids]
        bad = sim_client.act(ids[0], "press", {"chat_id": ids[0], "message_id": 424242})
        *updates, refused = await asyncio.gather(*sends, bad, return_exceptions=True)

    assert isinstance(refused, ControlRefused) and refused.field == "message_id"
    assert [u["update"]["message"]["text"] for u in updates] == [f"/n{uid}" for uid in ids]
    # The first action went alone; the 60 made while it was on the wire went together.
    assert Counting.requests == 2
    assert sorted(_texts(client)) == sorted(f"/n{uid}" for uid in ids)


async def test_when_the_batch_request_fails_every_caller_gets_the_error(sim: RunningSim) -> None:
    url = sim.url
    sim.stop()  # nothing listens any more: the request itself fails
    async with AsyncSimClient(url, timeout_s=5) as sim_client:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(sim_client.act(uid, "send", {"text": "/x"}) for uid in (1, 2, 3)),
                return_exceptions=True,
            ),
            timeout=30,
        )
    assert all(isinstance(o, aiohttp.ClientError) for o in outcomes), outcomes
