"""Putting Bot API calls into the outbox, in the caller's transaction.

Every reply, question and reveal is a row here, written in the same transaction
as the fact that caused it, so a message exists exactly when its cause does.
``notify`` wakes the sender; PostgreSQL delivers it at commit (and drops it on
rollback), and NOTIFY works through pgbouncer because it is transaction-scoped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.effects import AnyEffect, Chat, Effect, Participants
from quizbot.domain.formatting import HTML

OUTBOX_CHANNEL = "quizbot_outbox"
CLOCK_CHANNEL = "quizbot_clock"


@dataclass(frozen=True)
class Message:
    """One Bot API call for one chat. ``params`` leaves out ``message_id`` for edits."""

    chat_id: int
    method: str
    params: Mapping[str, Any]
    ref: str | None = None
    edit_ref: str | None = None
    session_id: int | None = None


# A chat that blocked the bot (a 403, or my_chat_member "kicked") gets no rows:
# Telegram would refuse them, and each refusal costs a global rate slot. The
# check is a primary-key probe of ``chats`` per row. The mark is cleared when
# the chat writes to the bot again (``store.updates``); rows queued before the
# mark was set are dropped by the sender's claim (``outbox_queries.CLAIM``).
NOT_BLOCKED = "NOT EXISTS (SELECT 1 FROM chats c WHERE c.id = {chat} AND c.blocked_at IS NOT NULL)"

# Insert many rows in one statement, in the given order (ids follow it: one
# chat's rows are sent in id order); chat_id is also written into params so the
# sender sends exactly what is stored.
_INSERT = sa.text(
    f"""
    INSERT INTO outbox (chat_id, method, params, ref, edit_ref, session_id)
    SELECT m.chat_id, m.method,
           jsonb_set(m.params, '{{chat_id}}', to_jsonb(m.chat_id)),
           m.ref, m.edit_ref, m.session_id
    FROM ROWS FROM (
             jsonb_to_recordset(CAST(:rows AS jsonb))
             AS (chat_id bigint, method text, params jsonb, ref text, edit_ref text,
                 session_id bigint)
         ) WITH ORDINALITY AS m(chat_id, method, params, ref, edit_ref, session_id, i)
    WHERE {NOT_BLOCKED.format(chat="m.chat_id")}
    ORDER BY m.i
    """  # noqa: S608 - a constant condition, no input
)

# A broadcast to every participant of a session, expanded in the database in
# participant order, so 10,000 players cost one statement, not 10,000.
_INSERT_PARTICIPANTS = sa.text(
    f"""
    INSERT INTO outbox (chat_id, method, params, ref, edit_ref, session_id)
    SELECT p.chat_id, :method,
           jsonb_set(CAST(:params AS jsonb), '{{chat_id}}', to_jsonb(p.chat_id)),
           :ref, :edit_ref, :session_id
    FROM participants p
    WHERE p.session_id = :session_id AND {NOT_BLOCKED.format(chat="p.chat_id")}
      AND (CAST(:players AS bigint[]) IS NULL OR p.player_id = ANY(CAST(:players AS bigint[])))
    ORDER BY p.joined_at, p.player_id
    """  # noqa: S608 - a constant condition, no input
)

# The participants a PRIVATE broadcast reaches: the writer paces by this count.
_REACHABLE = sa.text(
    f"""
    SELECT count(*) FROM participants p
    WHERE p.session_id = :session_id AND {NOT_BLOCKED.format(chat="p.chat_id")}
    """  # noqa: S608 - a constant condition, no input
)


def enqueue(conn: Connection, messages: Iterable[Message]) -> int:
    """Insert ``messages`` (in order) into the outbox, except to blocked chats; returns how many."""
    rows = [
        {
            "chat_id": msg.chat_id,
            "method": msg.method,
            "params": dict(msg.params),
            "ref": msg.ref,
            "edit_ref": msg.edit_ref,
            "session_id": msg.session_id,
        }
        for msg in messages
    ]
    if not rows:
        return 0
    result = conn.execute(_INSERT, {"rows": orjson.dumps(rows).decode()})
    return int(result.rowcount or 0)


def enqueue_to_participants(
    conn: Connection,
    session_id: int,
    method: str,
    params: Mapping[str, Any],
    *,
    ref: str | None = None,
    edit_ref: str | None = None,
    players: Iterable[int] | None = None,
) -> int:
    """One row per participant of ``session_id`` (of ``players`` only, if given), to their chat.

    Participants whose chat blocked the bot get none.
    """
    only = None if players is None else "{" + ",".join(str(int(p)) for p in players) + "}"
    result = conn.execute(
        _INSERT_PARTICIPANTS,
        {
            "method": method,
            "params": orjson.dumps(dict(params)).decode(),
            "ref": ref,
            "edit_ref": edit_ref,
            "session_id": session_id,
            "players": only,
        },
    )
    return int(result.rowcount or 0)


def enqueue_effects(conn: Connection, session_id: int, effects: Iterable[AnyEffect]) -> int:
    """Write a transition's message ``effects`` for ``session_id``; returns the row count.

    An effect for one chat becomes one row; one for ``Participants()`` becomes a
    row per participant, expanded by a single ``INSERT ... SELECT``. Rows keep
    effect order: the sender sends one chat's rows in id order, so a question
    always goes out before the edit that closes it. Effects that are not
    messages (``Finish``) are the caller's to apply first; passing one is an error.
    """
    written = 0
    pending: list[Message] = []
    for effect in effects:
        if not isinstance(effect, Effect):
            raise TypeError(f"not a message effect: {effect!r}")
        match effect.audience:
            case Chat(chat_id=chat_id):
                pending.append(
                    Message(
                        chat_id,
                        effect.method,
                        effect.params,
                        effect.ref,
                        effect.edit_ref,
                        session_id,
                    )
                )
            case Participants(players=players):
                written += enqueue(conn, pending)
                pending = []
                written += enqueue_to_participants(
                    conn,
                    session_id,
                    effect.method,
                    effect.params,
                    ref=effect.ref,
                    edit_ref=effect.edit_ref,
                    players=players,
                )
    return written + enqueue(conn, pending)


def reachable_participants(conn: Connection, session_id: int) -> int:
    """How many participants of ``session_id`` a broadcast reaches (their chat is not blocked)."""
    return int(conn.scalar(_REACHABLE, {"session_id": session_id}) or 0)


def notify(conn: Connection, channel: str = OUTBOX_CHANNEL, payload: str = "") -> None:
    """Wake the listeners of ``channel`` when this transaction commits."""
    conn.execute(sa.select(sa.func.pg_notify(channel, payload)))


def reply(
    conn: Connection, chat_id: int, text: str, keyboard: dict[str, object] | None = None
) -> None:
    """Queue an HTML reply to ``chat_id`` in ``conn``'s transaction and wake the sender."""
    message: dict[str, object] = {
        "text": text,
        "parse_mode": HTML,
        "link_preview_options": {"is_disabled": True},
    }
    if keyboard is not None:
        message["reply_markup"] = keyboard
    enqueue(conn, [Message(chat_id, "sendMessage", message)])
    notify(conn)
