"""Documents through the outbox: bytes kept in PostgreSQL, sent by the real sender
as a multipart sendDocument, and received whole by the fake Bot API."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.store.documents import enqueue_document
from quizbot.store.outbox import Message, enqueue, notify

from .sender_harness import InProcessSender, calls, rows, sender_settings, settled, sim_get
from .whole_bot import download


async def test_a_document_goes_out_as_multipart_in_its_chats_order(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    content = b"Capitals\n\nCapital of France?\n* Paris\nLyon\n" + bytes(range(256))
    markup = {"inline_keyboard": [[{"text": "Play", "callback_data": "n"}]]}
    with engine.begin() as conn:
        enqueue(conn, [Message(41, "sendMessage", {"text": "before"})])
        row_id = enqueue_document(
            conn, 41, "capitals.txt", content, caption="Your quiz", reply_markup=markup
        )
        enqueue(conn, [Message(41, "sendMessage", {"text": "after"})])
        notify(conn)
    assert row_id is not None
    async with InProcessSender(sender_settings(settings, sim)):
        assert await settled(engine) == {"sent": 3}
    messages = sim_get(sim, "/sim/chats/41/messages")["messages"]
    assert [m.get("text", m.get("caption")) for m in messages] == ["before", "Your quiz", "after"]
    document = messages[1]["document"]
    assert (document["file_name"], document["file_size"]) == ("capitals.txt", len(content))
    assert messages[1]["reply_markup"] == markup
    assert download(sim, document["file_id"]) == content
    [call] = calls(sim, "sendDocument")
    assert call["params"]["document"]["filename"] == "capitals.txt"  # a multipart part
    [sent] = rows(engine, f"id = {row_id}")
    assert sent.telegram_message_id == messages[1]["message_id"]


async def test_a_blocked_chat_gets_no_document(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO chats (id, type, blocked_at) VALUES (42, 'private', now())")
        )
        assert enqueue_document(conn, 42, "quiz.yaml", b"title: x\n") is None
        files = conn.scalar(sa.text("SELECT count(*) FROM outbox_files"))
    assert rows(engine) == [] and files == 0


async def test_a_documents_file_is_deleted_with_its_outbox_row(engine: Engine) -> None:
    with engine.begin() as conn:
        row_id = enqueue_document(conn, 43, "quiz.json", b"{}")
        conn.execute(sa.text("DELETE FROM outbox WHERE id = :id"), {"id": row_id})
        assert conn.scalar(sa.text("SELECT count(*) FROM outbox_files")) == 0
