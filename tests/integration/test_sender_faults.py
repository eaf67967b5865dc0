"""What the sender does with each error Telegram can return: 403, migration, 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.api.faults import FaultConfig
from quizbot.store.outbox import Message, enqueue

from .sender_harness import (
    InProcessSender,
    calls,
    delivered,
    fill,
    rows,
    sender_settings,
    settled,
    sim_get,
    sim_post,
)

BLOCKED_USER = 4242
OLD_GROUP, NEW_SUPERGROUP = -4001, -1004001


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[RunningSim]:
    faults = getattr(request, "param", FaultConfig())
    running = start_in_thread(SimConfig(limits=False, faults=faults))
    yield running
    running.stop()


@pytest.mark.parametrize("sim", [FaultConfig(blocked={BLOCKED_USER})], indirect=True)
async def test_a_user_who_blocked_the_bot_is_marked_and_their_pending_messages_dropped(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    fill(engine, [BLOCKED_USER, 4343], per_chat=3)
    with engine.begin() as conn:
        # Not due yet when the 403 arrives: dropped by the chat's block, never sent.
        enqueue(conn, [Message(BLOCKED_USER, "sendMessage", {"text": f"{BLOCKED_USER}:9"})])
        conn.execute(
            sa.text("UPDATE outbox SET available_at = now() + interval '1 hour' WHERE id = 7")
        )
    async with InProcessSender(sender_settings(settings, sim)):
        await settled(engine)
    assert delivered(sim) == {4343: [0, 1, 2]}
    dropped = rows(engine, f"chat_id = {BLOCKED_USER}")
    assert [r.status for r in dropped] == ["dropped"] * 4
    assert all("blocked by the user" in r.error for r in dropped)
    with engine.connect() as conn:
        chat = conn.execute(sa.text(f"SELECT * FROM chats WHERE id = {BLOCKED_USER}")).one()  # noqa: S608
    assert chat.blocked_at is not None and "blocked" in chat.blocked_reason
    assert chat.type == "private"


@pytest.mark.parametrize("sim", [FaultConfig(migrated={OLD_GROUP: NEW_SUPERGROUP})], indirect=True)
async def test_a_group_that_became_a_supergroup_gets_its_messages_at_the_new_id(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    fill(engine, [OLD_GROUP], per_chat=4)
    async with InProcessSender(sender_settings(settings, sim)):
        counts = await settled(engine)
    assert counts == {"sent": 4}
    assert delivered(sim) == {NEW_SUPERGROUP: [0, 1, 2, 3]}
    assert {(r.chat_id, r.params["chat_id"]) for r in rows(engine)} == {
        (NEW_SUPERGROUP, NEW_SUPERGROUP)
    }
    with engine.connect() as conn:
        migrated_to = conn.scalar(sa.text(f"SELECT migrated_to FROM chats WHERE id = {OLD_GROUP}"))  # noqa: S608
    assert migrated_to == NEW_SUPERGROUP


async def test_an_edit_of_a_message_left_in_the_old_group_is_posted_in_the_supergroup(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    s = sender_settings(settings, sim)
    with engine.begin() as conn:
        enqueue(conn, [Message(OLD_GROUP, "sendMessage", {"text": "Q1?"}, ref="q:1")])
    async with InProcessSender(s):
        await settled(engine)
    sim_post(sim, "/sim/faults", {"migrated": {str(OLD_GROUP): NEW_SUPERGROUP}})
    with engine.begin() as conn:
        enqueue(
            conn,
            [
                Message(OLD_GROUP, "editMessageText", {"text": "Q1 closed"}, edit_ref="q:1"),
                Message(OLD_GROUP, "editMessageText", {"text": "Q1 final"}, edit_ref="q:1"),
            ],
        )
    async with InProcessSender(s):
        counts = await settled(engine)
    assert counts == {"sent": 3}
    texts = [m["text"] for m in sim_get(sim, f"/sim/chats/{NEW_SUPERGROUP}/messages")["messages"]]
    # The first edit became a new message in the supergroup; the second edited it.
    assert texts == ["Q1 final"]
    posts = [c for c in calls(sim, "sendMessage") if c["chat_id"] == NEW_SUPERGROUP]
    assert [c["params"]["text"] for c in posts] == ["Q1 closed"]


@pytest.mark.parametrize("sim", [FaultConfig(error_next=2, methods={"sendmessage"})], indirect=True)
async def test_server_errors_are_retried_with_backoff_and_order_is_kept(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    fill(engine, [21], per_chat=3)
    async with InProcessSender(sender_settings(settings, sim, send_max_attempts=5)):
        counts = await settled(engine)
    assert counts == {"sent": 3}
    assert delivered(sim) == {21: [0, 1, 2]}
    assert [r.attempts for r in rows(engine)] == [3, 1, 1]


@pytest.mark.parametrize(
    "sim", [FaultConfig(error_rate=1.0, error_status=502, methods={"sendmessage"})], indirect=True
)
async def test_a_message_that_keeps_failing_is_dead_lettered_with_its_error(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    fill(engine, [31], per_chat=2)
    async with InProcessSender(sender_settings(settings, sim, send_max_attempts=2)):
        counts = await settled(engine)
    assert counts == {"dead": 2}
    assert calls(sim, "sendMessage") == []
    dead = rows(engine)
    assert [r.attempts for r in dead] == [2, 2]
    assert all("Bad Gateway" in r.error for r in dead)
