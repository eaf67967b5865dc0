"""Quiz files users sent: the web tier records them, the upload worker takes them.

A request is written in the transaction that records its update, so a
Telegram retry of the update adds none. The worker claims one at a time;
claims are ``FOR UPDATE SKIP LOCKED``, so two workers never take the same
file, and a request whose worker died (``working`` for longer than
:data:`STALE_S`) is taken again.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# A download and an import take well under a second; a claim this old was lost.
STALE_S = 120.0


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """One file to download and import for its sender."""

    id: int
    user_id: int
    chat_id: int
    file_id: str
    file_name: str
    attempts: int  # including this one
    replaces_quiz_id: int | None = None  # the quiz this file edits


_RECORD = sa.text(
    """
    INSERT INTO uploads (user_id, chat_id, file_id, file_name, file_size, replaces_quiz_id)
    VALUES (:user_id, :chat_id, :file_id, :file_name, :file_size, :replaces)
    RETURNING id
    """
)

# Safe under concurrency: SKIP LOCKED passes over a request another claim holds,
# and the picked row changes status in the same statement.
_CLAIM = sa.text(
    """
    UPDATE uploads u
    SET status = 'working', attempts = u.attempts + 1, claimed_at = now()
    WHERE u.id = (
        SELECT id FROM uploads
        WHERE status IN ('pending', 'working') AND available_at <= now()
          AND (status = 'pending' OR claimed_at < now() - make_interval(secs => :stale_s))
        ORDER BY available_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING u.id, u.user_id, u.chat_id, u.file_id, u.file_name, u.attempts, u.replaces_quiz_id
    """
)

_RETRY = sa.text(
    """
    UPDATE uploads SET status = 'pending', error = :error, attempts = attempts - :refund,
        available_at = now() + make_interval(secs => :delay_s)
    WHERE id = :id
    """
)

_FINISH = sa.text(
    "UPDATE uploads SET status = :status, quiz_id = :quiz_id, error = :error WHERE id = :id"
)


def record_upload(
    conn: Connection,
    user_id: int,
    chat_id: int,
    file_id: str,
    file_name: str,
    size: int | None,
    replaces: int | None = None,
) -> int:
    """Write a request for the worker (``replaces``: the quiz it edits); returns its id."""
    params = {
        "replaces": replaces,
        "user_id": user_id,
        "chat_id": chat_id,
        "file_id": file_id,
        "file_name": file_name,
        "file_size": size,
    }
    return int(conn.execute(_RECORD, params).scalar_one())


def claim_upload(conn: Connection) -> UploadRequest | None:
    """The oldest due request, now ``working``; None when there is none."""
    row = conn.execute(_CLAIM, {"stale_s": STALE_S}).first()
    return None if row is None else UploadRequest(*row)


def retry_upload(
    conn: Connection, upload_id: int, delay_s: float, error: str, *, counted: bool = True
) -> None:
    """Give a request back to be tried again after ``delay_s``; a try that is not
    ``counted`` (the bot's token, not the file, was refused) gives its attempt back."""
    params = {"id": upload_id, "delay_s": delay_s, "error": error, "refund": 0 if counted else 1}
    conn.execute(_RETRY, params)


def finish_upload(
    conn: Connection, upload_id: int, quiz_id: int | None, error: str | None = None
) -> None:
    """Mark a request done (with the quiz it made) or failed (with why)."""
    status = "done" if quiz_id is not None else "failed"
    conn.execute(_FINISH, {"id": upload_id, "status": status, "quiz_id": quiz_id, "error": error})
