"""The /newquiz drafts in PostgreSQL, and each user's wizard message count.

Every statement runs in the transaction that records the wizard update
(``processed_updates``) and queues its reply, so the draft, "applied" and the
reply commit together: a Telegram retry finds the update claimed and changes
nothing, and a restart of any program finds the draft as the last step left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.draft import Draft, from_data, to_data

# The counting window: a user's wizard messages are counted per minute from the
# first one, in the row itself, so the limit holds across web workers. Both
# statements lock the user's row, so one user's updates apply one at a time
# (and a flood waits on its own row only). SET reads the old values, so both
# CASEs test the window as it was.

# OPEN: /newquiz, /done and /cancel: the user's row, made on first use.
OPEN = sa.text(
    """
    INSERT INTO quiz_drafts AS d (user_id, window_start, window_count)
    VALUES (:user_id, now(), 1)
    ON CONFLICT (user_id) DO UPDATE SET
        window_count = CASE WHEN d.window_start > now() - interval '1 minute'
                            THEN d.window_count + 1 ELSE 1 END,
        window_start = CASE WHEN d.window_start > now() - interval '1 minute'
                            THEN d.window_start ELSE now() END
    RETURNING d.draft, d.window_count
    """
)

# CONTINUE: a text or a wizard button: only a user with a draft under way is
# counted; for anyone else the message is not the wizard's and nothing is written.
CONTINUE = sa.text(
    """
    UPDATE quiz_drafts d SET
        window_count = CASE WHEN d.window_start > now() - interval '1 minute'
                            THEN d.window_count + 1 ELSE 1 END,
        window_start = CASE WHEN d.window_start > now() - interval '1 minute'
                            THEN d.window_start ELSE now() END
    WHERE d.user_id = :user_id AND d.draft IS NOT NULL
    RETURNING d.draft, d.window_count
    """
)

SAVE = sa.text(
    """
    UPDATE quiz_drafts SET draft = CAST(:draft AS jsonb), updated_at = now()
    WHERE user_id = :user_id
    """
)


@dataclass(frozen=True, slots=True)
class Claim:
    """A user's draft (None: no conversation under way) and their messages this minute."""

    draft: Draft | None
    count: int


def open_draft(conn: Connection, user_id: int) -> Claim:
    """Lock (or make) the user's row and count this message."""
    row = conn.execute(OPEN, {"user_id": user_id}).one()
    return _claim(row.draft, row.window_count)


def continue_draft(conn: Connection, user_id: int) -> Claim | None:
    """Lock the row of a user with a draft under way and count this message; None if none."""
    row = conn.execute(CONTINUE, {"user_id": user_id}).first()
    return None if row is None else _claim(row.draft, row.window_count)


def save_draft(conn: Connection, user_id: int, draft: Draft | None) -> None:
    """Store the draft as this step left it (None: the conversation is over)."""
    text = None if draft is None else orjson.dumps(to_data(draft)).decode()
    conn.execute(SAVE, {"user_id": user_id, "draft": text})


def _claim(data: dict[str, Any] | None, count: int) -> Claim:
    return Claim(None if data is None else from_data(data), count)
