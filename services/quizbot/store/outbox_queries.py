"""The sender's SQL: claim, lease, record results, block.

One sender runs per bot token (it holds :func:`sender_lock_key` as a session
advisory lock on a direct connection), but other programs insert into the
outbox all the time, so every statement here says why it is safe while they do.

Per-chat order is the invariant everything bends to: a chat's rows are sent in
``id`` order, one at a time. The claim only takes a chat's head of line (no
earlier unsent row of the chat is pending or held by another sender), so the
rows one sender holds for a chat are always a prefix of that chat's unsent
rows; its lanes then send that prefix in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.store.documents import Upload
from quizbot.store.leases import Term


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """One claimed outbox row, with what the claim found about the message it edits.

    ``original_status``/``original_message_id`` describe the latest earlier row
    of the same chat whose ``ref`` is this row's ``edit_ref`` (None when there
    is no such row, or this row edits nothing).
    """

    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    ref: str | None
    edit_ref: str | None
    attempts: int
    created_at: float
    original_status: str | None = None
    original_message_id: int | None = None
    upload: Upload | None = None  # the file a sendDocument row uploads


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed row, to be written by :func:`record_outcomes`.

    ``status`` is the row's new status: ``sent``, ``pending`` (a retry when
    ``retry_in`` is set, a release otherwise), ``dead`` or ``dropped``.
    ``attempted`` says whether this counts as a delivery attempt.
    """

    id: int
    status: str
    attempted: bool = False
    message_id: int | None = None
    sent_at: float | None = None
    retry_in: float | None = None
    error: str | None = None


def sender_lock_key(token: str) -> int:
    """The advisory-lock key of the one sender allowed for ``token`` (a signed 64-bit int)."""
    digest = hashlib.sha256(b"quizbot-sender:" + token.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# The claim. Safe under concurrency because:
# - FOR UPDATE OF o SKIP LOCKED in ``picked``: a row another transaction holds
#   is skipped, never waited on, and a picked row changes status in this same
#   statement, so no two claims ever return the same row.
# - Per-chat order: only a chat's head of line is taken, a pending row none of
#   whose chat's earlier unsent rows is pending (due or not, locked or not) or
#   held by another sender. Rows this sender already holds may come before it:
#   its lane sends them first. So each chat's claimed rows are always a prefix
#   of its unsent rows, whatever the ORDER BY, the LIMIT or SKIP LOCKED left out,
#   and a retried row (pending again, due later) holds back everything after it.
#   One claim takes at most one row per chat; the sender claims again at once
#   for the next ones.
# - The fence: only while :gen is the sender lock's current generation (see
#   TAKE_GENERATION below), so a sender that lost the lock claims nothing.
# - ``full`` lists chats whose lane already holds enough rows, so one chat's
#   backlog cannot fill the sender while other chats wait.
# - Rows inserted by transactions not yet committed are invisible until they
#   commit; per-chat order is the order of ids among committed rows.
# - A row whose chat has blocked the bot (``chats.blocked_at``; rows queued
#   before the block, or by a transaction that raced with it) is not claimed but
#   dropped here, with the reason Telegram gave for the block: it is never sent
#   and spends no rate slot. It comes back with status 'dropped' so the sender
#   can count it, and its chat's next row is head of line at the next claim.
# The scan follows ix_outbox_pending (oldest due first); the head-of-line check
# probes ix_outbox_chat_unsent, which holds unsent rows only; the block check is
# a primary-key probe of chats. The LATERAL lookup resolves edits: the message id
# recorded for the latest earlier row of the same chat whose ref is this row's
# edit_ref. The file of a row that uploads one (``outbox_files``, a primary-key
# probe that finds nothing for every other row) comes with it.
CLAIM = sa.text(
    """
    WITH picked AS (
        SELECT o.id, ch.blocked_at IS NOT NULL AS blocked, ch.blocked_reason
        FROM outbox o
        LEFT JOIN chats ch ON ch.id = o.chat_id
        WHERE o.status = 'pending' AND o.available_at <= now()
          AND EXISTS (SELECT 1 FROM sender_lock l WHERE l.key = :key AND l.generation = :gen)
          AND o.chat_id <> ALL (CAST(:full AS bigint[]))
          AND NOT EXISTS (
              SELECT 1 FROM outbox e
              WHERE e.chat_id = o.chat_id AND e.id < o.id
                AND e.status IN ('pending', 'claimed')
                AND (e.status = 'pending' OR e.leased_by IS DISTINCT FROM :me)
          )
        ORDER BY o.available_at, o.id
        LIMIT :n
        FOR UPDATE OF o SKIP LOCKED
    ), claimed AS (
        UPDATE outbox u
        SET status = CAST(CASE WHEN p.blocked THEN 'dropped' ELSE 'claimed' END
                          AS outbox_status),
            leased_by = CASE WHEN p.blocked THEN NULL ELSE :me END,
            lease_gen = CASE WHEN p.blocked THEN NULL ELSE :gen END,
            lease_until = CASE WHEN p.blocked THEN NULL
                               ELSE now() + make_interval(secs => :lease_s) END,
            error = CASE WHEN p.blocked THEN coalesce(p.blocked_reason, 'blocked')
                         ELSE u.error END
        FROM picked p
        WHERE u.id = p.id
        RETURNING u.id, u.chat_id, u.method, u.params, u.ref, u.edit_ref, u.attempts,
                  u.created_at, p.blocked
    )
    SELECT c.id, c.chat_id, c.method, c.params, c.ref, c.edit_ref, c.attempts,
           extract(epoch FROM c.created_at) AS created_at, c.blocked,
           orig.status::text AS original_status,
           orig.telegram_message_id AS original_message_id,
           f.field AS upload_field, f.filename AS upload_filename, f.content AS upload_content
    FROM claimed c
    LEFT JOIN outbox_files f ON f.outbox_id = c.id AND NOT c.blocked
    LEFT JOIN LATERAL (
        SELECT x.status, x.telegram_message_id FROM outbox x
        WHERE c.edit_ref IS NOT NULL AND NOT c.blocked AND x.chat_id = c.chat_id
          AND x.ref = c.edit_ref AND x.id < c.id
        ORDER BY x.id DESC
        LIMIT 1
    ) orig ON true
    ORDER BY c.id
    """
)

# A batch of outcomes in one statement. The guard (still 'claimed' by me, in the
# term that sent it) makes a late write from a sender that lost its claim a
# no-op instead of an overwrite. A write of a term that lost the lock still
# applies to rows nobody took back: those sends did happen.
RECORD_OUTCOMES = sa.text(
    """
    UPDATE outbox o
    SET status = CAST(v.status AS outbox_status),
        attempts = o.attempts + CASE WHEN v.attempted THEN 1 ELSE 0 END,
        available_at = CASE WHEN v.retry_in IS NULL THEN o.available_at
                            ELSE now() + make_interval(secs => v.retry_in) END,
        sent_at = CASE WHEN v.sent_at IS NULL THEN o.sent_at ELSE to_timestamp(v.sent_at) END,
        telegram_message_id = COALESCE(v.message_id, o.telegram_message_id),
        error = COALESCE(v.error, o.error),
        lease_until = NULL, leased_by = NULL, lease_gen = NULL
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
         AS v(id bigint, status text, attempted boolean, message_id bigint,
              sent_at double precision, retry_in double precision, error text)
    WHERE o.id = v.id AND o.status = 'claimed' AND o.leased_by = :me AND o.lease_gen = :gen
    """
)

# A 403: remember the chat is blocked and drop its pending rows with the reason.
# Only 'pending' rows: the ones this sender holds are dropped by its lane; rows
# inserted after this commits are sent and meet the same 403.
BLOCK_CHAT = sa.text(
    """
    WITH chat AS (
        INSERT INTO chats (id, type, blocked_at, blocked_reason)
        VALUES (:chat_id, :chat_type, now(), :reason)
        ON CONFLICT (id) DO UPDATE
        SET blocked_at = now(), blocked_reason = EXCLUDED.blocked_reason
    )
    UPDATE outbox SET status = 'dropped', error = :reason
    WHERE chat_id = :chat_id AND status = 'pending'
    """
)

# Queue depth for the metrics: rows waiting, due or not (partial index scan).
PENDING_COUNT = sa.text("SELECT count(*) FROM outbox WHERE status = 'pending'")
# Age of the oldest waiting row, through ix_outbox_pending's partial set.
OLDEST_PENDING = sa.text(
    "SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM outbox WHERE status = 'pending'"
)


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim did: the rows to send, and rows dropped because their chat is blocked."""

    rows: list[ClaimedRow]
    dropped_blocked: list[tuple[int, str]]  # (row id, method)


def claim(conn: Connection, term: Term, n: int, lease_s: float, full: Sequence[int] = ()) -> Claim:
    """Claim up to ``n`` due head-of-line rows (at most one per chat), skipping ``full`` chats.

    Head-of-line rows of blocked chats are dropped instead (see :data:`CLAIM`).
    Claims nothing unless ``term`` still holds the lock's current generation.
    """
    params = {
        "me": term.me,
        "gen": term.gen,
        "key": term.key,
        "n": n,
        "lease_s": lease_s,
        "full": list(full),
    }
    rows: list[ClaimedRow] = []
    dropped: list[tuple[int, str]] = []
    for r in conn.execute(CLAIM, params):
        if r.blocked:
            dropped.append((r.id, r.method))
            continue
        rows.append(
            ClaimedRow(
                id=r.id,
                chat_id=r.chat_id,
                method=r.method,
                params=r.params,
                ref=r.ref,
                edit_ref=r.edit_ref,
                attempts=r.attempts,
                created_at=float(r.created_at),
                original_status=r.original_status,
                original_message_id=r.original_message_id,
                upload=None
                if r.upload_field is None
                else Upload(r.upload_field, r.upload_filename, bytes(r.upload_content)),
            )
        )
    return Claim(rows, dropped)


def record_outcomes(conn: Connection, term: Term, outcomes: Sequence[Outcome]) -> int:
    """Write a batch of outcomes in one statement; returns how many rows changed."""
    if not outcomes:
        return 0
    rows = [
        {
            "id": o.id,
            "status": o.status,
            "attempted": o.attempted,
            "message_id": o.message_id,
            "sent_at": o.sent_at,
            "retry_in": o.retry_in,
            "error": o.error,
        }
        for o in outcomes
    ]
    result = conn.execute(
        RECORD_OUTCOMES, {"me": term.me, "gen": term.gen, "rows": orjson.dumps(rows).decode()}
    )
    return int(result.rowcount or 0)


def chat_type(chat_id: int) -> str:
    """Telegram's chat type implied by an id: users are positive, supergroups -100…."""
    if chat_id > 0:
        return "private"
    return "supergroup" if chat_id < -(10**12) else "group"


def block_chat(conn: Connection, chat_id: int, reason: str) -> int:
    """Mark ``chat_id`` blocked and drop its pending rows; returns how many were dropped."""
    result = conn.execute(
        BLOCK_CHAT, {"chat_id": chat_id, "chat_type": chat_type(chat_id), "reason": reason}
    )
    return int(result.rowcount or 0)


def oldest_pending_s(conn: Connection) -> float | None:
    """Seconds since the oldest waiting row was enqueued; None when none waits."""
    value = conn.scalar(OLDEST_PENDING)
    return float(value) if value is not None else None


def pending_count(conn: Connection) -> int:
    """How many rows wait to be sent."""
    return int(conn.scalar(PENDING_COUNT) or 0)
