"""Documents in the outbox: files the bot sends (``sendDocument``), bytes in PostgreSQL.

A document is an outbox row like any other message (same per-chat order, rate
limits, retries and leases) whose file sits beside it in ``outbox_files``. The
sender's claim reads the file with its row (``outbox_queries.CLAIM``) and sends
the call as multipart, the only way Telegram takes a new file. Both rows are
written by one statement, in the caller's transaction, so a document exists
exactly when its cause does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.store.outbox import NOT_BLOCKED

METHOD = "sendDocument"
# Telegram takes uploads of up to 50 MB; the bot sends quiz files, far smaller.
MAX_BYTES = 50 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Upload:
    """A file an outbox row uploads: the parameter it fills, its name and bytes."""

    field: str
    filename: str
    content: bytes = dataclasses.field(repr=False)


# The outbox row and its file in one statement: a chat that blocked the bot gets
# neither (the same probe as ``outbox.enqueue``). The file's foreign key is
# checked at the end of the statement, when the CTE's row exists.
_INSERT = sa.text(
    f"""
    WITH row AS (
        INSERT INTO outbox (chat_id, method, params, session_id)
        SELECT :chat_id, :method, CAST(:params AS jsonb), :session_id
        WHERE {NOT_BLOCKED.format(chat=":chat_id")}
        RETURNING id
    )
    INSERT INTO outbox_files (outbox_id, field, filename, content)
    SELECT row.id, 'document', :filename, :content FROM row
    RETURNING outbox_id
    """  # noqa: S608 - a constant condition, no input
)


def enqueue_document(
    conn: Connection,
    chat_id: int,
    filename: str,
    content: bytes,
    *,
    caption: str | None = None,
    reply_markup: Mapping[str, Any] | None = None,
    session_id: int | None = None,
) -> int | None:
    """Queue ``content`` as a document named ``filename`` for ``chat_id``.

    Returns the outbox row's id, or None when the chat has blocked the bot.
    """
    if len(content) > MAX_BYTES:
        raise ValueError(f"{filename}: {len(content)} bytes, over Telegram's upload limit")
    params: dict[str, Any] = {"chat_id": chat_id}
    if caption:
        params["caption"] = caption
    if reply_markup is not None:
        params["reply_markup"] = dict(reply_markup)
    row = conn.execute(
        _INSERT,
        {
            "chat_id": chat_id,
            "method": METHOD,
            "params": orjson.dumps(params).decode(),
            "session_id": session_id,
            "filename": filename,
            "content": content,
        },
    ).first()
    return None if row is None else int(row.outbox_id)
