"""The sender drains the outbox into the fake Bot API: in order, once, with results recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.store.outbox import Message, enqueue, notify
from tests.conftest import StatsdListener

from .sender_harness import (
    InProcessSender,
    calls,
    delivered,
    fill,
    rows,
    sender_settings,
    settled,
    sim_get,
)


async def test_every_message_is_delivered_once_in_per_chat_order(
    settings: Settings, engine: Engine, sim: RunningSim, pooled_url: str, db_url: str
) -> None:
    # Pooled connections through pgbouncer, LISTEN and the lock on the direct URL.
    s = sender_settings(settings, sim, database_url=pooled_url, database_direct_url=db_url)
    chats = [*range(1001, 1031), *range(-2001, -2011, -1)]
    total = fill(engine, chats, per_chat=12)
    async with InProcessSender(s, workers=10) as sender:
        counts = await settled(engine)
    assert counts == {"sent": total}
    per_chat = delivered(sim)
    assert per_chat == {chat: list(range(12)) for chat in chats}
    assert sender.claimed == total
    # Each row records the message id Telegram gave it.
    recorded = {r.id: r.telegram_message_id for r in rows(engine)}
    sent_ids = sorted(c["message_id"] for c in calls(sim, "sendMessage"))
    assert sorted(recorded.values()) == sent_ids
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows(engine))


async def test_a_notification_wakes_the_sender_without_waiting_for_the_poll(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    s = sender_settings(settings, sim)
    async with InProcessSender(s, poll_s=60.0):
        await asyncio.sleep(0.5)  # idle: the first claim found nothing
        started = time.monotonic()
        fill(engine, [77], per_chat=1, notify_sender=True)
        await settled(engine, within=10)
        assert time.monotonic() - started < 5
    assert delivered(sim) == {77: [0]}


async def test_edits_use_the_message_id_telegram_returned_for_the_original(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    s = sender_settings(settings, sim)
    with engine.begin() as conn:
        enqueue(
            conn,
            [
                Message(5, "sendMessage", {"text": "Q1?"}, ref="q:1"),
                Message(6, "sendMessage", {"text": "other chat"}, ref="q:1"),
                Message(5, "editMessageText", {"text": "Q1 (closed)"}, edit_ref="q:1"),
                Message(5, "editMessageText", {"text": "ghost"}, edit_ref="q:nope"),
            ],
        )
        notify(conn)
    async with InProcessSender(s):
        await settled(engine)
    original, other, edit, ghost = rows(engine)
    edits = calls(sim, "editMessageText")
    assert [(c["chat_id"], c["params"]["message_id"]) for c in edits] == [
        (5, original.telegram_message_id)
    ]
    assert edit.status == "sent" and other.chat_id == 6
    # An edit of a message the chat never got is posted as a new message.
    assert ghost.status == "sent" and ghost.telegram_message_id != original.telegram_message_id
    messages = sim_get(sim, "/sim/chats/5/messages")["messages"]
    assert [m["text"] for m in messages] == ["Q1 (closed)", "ghost"]


async def test_an_edit_after_a_restart_resolves_the_id_from_the_database(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    s = sender_settings(settings, sim)
    with engine.begin() as conn:
        enqueue(conn, [Message(9, "sendMessage", {"text": "lobby"}, ref="lobby")])
    async with InProcessSender(s):
        await settled(engine)
    with engine.begin() as conn:
        enqueue(conn, [Message(9, "sendMessage", {"text": "lost"}, ref="gone")])
        conn.execute(sa.text("UPDATE outbox SET status = 'dead' WHERE ref = 'gone'"))
        enqueue(
            conn,
            [
                Message(9, "editMessageText", {"text": "lobby: 2 players"}, edit_ref="lobby"),
                Message(9, "editMessageText", {"text": "too late"}, edit_ref="gone"),
            ],
        )
    async with InProcessSender(s):
        await settled(engine)
    first, _, edit, orphan = rows(engine)
    assert edit.status == "sent"
    assert [c["params"]["message_id"] for c in calls(sim, "editMessageText")] == [
        first.telegram_message_id
    ]
    assert orphan.status == "sent"
    messages = sim_get(sim, "/sim/chats/9/messages")["messages"]
    assert [m["text"] for m in messages] == ["lobby: 2 players", "too late"]


async def test_a_not_modified_edit_counts_as_sent(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    s = sender_settings(settings, sim)
    with engine.begin() as conn:
        enqueue(
            conn,
            [
                Message(3, "sendMessage", {"text": "same"}, ref="m"),
                Message(3, "editMessageText", {"text": "same"}, edit_ref="m"),
            ],
        )
    async with InProcessSender(s):
        counts = await settled(engine)
    assert counts == {"sent": 2}
    assert calls(sim, "editMessageText") == []  # Telegram refused it as not modified


async def test_sender_reports_sends_and_latency_to_statsd(
    settings: Settings, engine: Engine, sim: RunningSim, statsd: StatsdListener
) -> None:
    s = dataclasses.replace(sender_settings(settings, sim), statsd_port=statsd.port)
    fill(engine, [1, 2], per_chat=3)
    async with InProcessSender(s, metrics_s=0.1):
        await settled(engine)
        await asyncio.sleep(0.3)
    names = statsd.names()
    assert "quizbot.sender.send.sendMessage.sent" in names
    assert {"quizbot.sender.send_ms", "quizbot.sender.lag_ms"} <= names
    assert "quizbot.sender.queue.pending" in names
