"""Effects to outbox rows, in the transition's transaction.

An effect for one chat becomes one row; an effect for ``Participants()`` becomes
one row per participant, expanded by a single ``INSERT ... SELECT`` in the
database, so a broadcast to 10,000 players costs one statement. Rows are
inserted in effect order: the sender sends one chat's rows in id order, so a
question always goes out before the edit that closes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from quizbot.domain.effects import Chat, Effect, Participants
from quizbot.store import outbox


def enqueue_effects(conn: Connection, session_id: int, effects: Sequence[Effect]) -> int:
    """Write ``effects`` of session ``session_id`` to the outbox; returns the row count."""
    written = 0
    pending: list[outbox.Message] = []
    for effect in effects:
        match effect.audience:
            case Chat(chat_id=chat_id):
                pending.append(
                    outbox.Message(
                        chat_id=chat_id,
                        method=effect.method,
                        params=effect.params,
                        ref=effect.ref,
                        edit_ref=effect.edit_ref,
                        session_id=session_id,
                    )
                )
            case Participants():
                written += outbox.enqueue(conn, pending)
                pending = []
                written += outbox.enqueue_to_participants(
                    conn,
                    session_id,
                    effect.method,
                    effect.params,
                    ref=effect.ref,
                    edit_ref=effect.edit_ref,
                )
    return written + outbox.enqueue(conn, pending)
