"""A group's administrators, cached in PostgreSQL, and the /stop that waits for them.

The web tier makes no Bot API call, so the list comes from the sender:
:func:`request_fetch` queues a ``getChatAdministrators`` row in the outbox, and
the sender hands the result to :func:`store_admins` in its batched result
commit. A 429 or a timeout leaves the row to be retried and the cache as it
was. The list is fetched when the bot joins a group, when a member's admin
status changes (``chat_member``), and when a /stop finds it missing or older
than ``FRESH_S``. A fetch that fails for good (dead after its retries, or
dropped) answers the waiting /stop requests with :data:`UNCHECKED`
(:func:`give_up_checks`) instead of leaving them waiting for a list that
will not come.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.formatting import HTML
from quizbot.domain.language import N_
from quizbot.locales import translator
from quizbot.store import outbox
from quizbot.store.languages import chat_language
from quizbot.store.sessions_web import file_request

FRESH_S = 3600  # a list older than an hour is fetched again
METHOD = "getChatAdministrators"

STOPPING = N_("🛑 Stopping the quiz…")
NOT_ADMIN = N_("Only the host or a group admin can stop this quiz.")
UNCHECKED = N_(
    "⚠️ I could not check this group's admins, so the quiz goes on. The host can /stop it."
)

_CACHED = sa.text(
    """
    SELECT admin_ids,
           :max_age_s IS NULL OR fetched_at > now() - make_interval(secs => :max_age_s) AS fresh
    FROM chat_admins WHERE chat_id = :chat_id
    """
)

# One fetch in flight per chat is enough: a second /stop waits for the same one.
_FETCH_QUEUED = sa.text(
    """
    SELECT EXISTS (SELECT 1 FROM outbox WHERE chat_id = :chat_id AND method = :method
                   AND status IN ('pending', 'claimed'))
    """
)

_STORE = sa.text(
    """
    INSERT INTO chat_admins (chat_id, admin_ids, fetched_at)
    VALUES (:chat_id, CAST(:admin_ids AS bigint[]), now())
    ON CONFLICT (chat_id) DO UPDATE
    SET admin_ids = EXCLUDED.admin_ids, fetched_at = EXCLUDED.fetched_at
    """
)

_ADD_CHECK = sa.text(
    """
    INSERT INTO stop_checks (chat_id, player_id, session_id) VALUES (:chat_id, :player_id, :sid)
    ON CONFLICT (chat_id, player_id) DO UPDATE SET session_id = EXCLUDED.session_id,
        requested_at = now()
    """
)

# The checks the new list answers, taken (deleted) in the same transaction.
_TAKE_CHECKS = sa.text(
    "DELETE FROM stop_checks WHERE chat_id = :chat_id RETURNING player_id, session_id"
)


def cached_admins(
    conn: Connection, chat_id: int, max_age_s: float | None = FRESH_S
) -> frozenset[int] | None:
    """The group's admins if fetched within ``max_age_s`` (None: any age); ``None`` if not."""
    row = conn.execute(_CACHED, {"chat_id": chat_id, "max_age_s": max_age_s}).first()
    if row is None or not row.fresh:
        return None
    return frozenset(int(i) for i in row.admin_ids)


def is_admin(conn: Connection, chat_id: int, player_id: int) -> bool:
    """Whether the last list fetched for the group names ``player_id``, however old."""
    admins = cached_admins(conn, chat_id, max_age_s=None)
    return admins is not None and player_id in admins


def request_fetch(conn: Connection, chat_id: int) -> bool:
    """Queue a ``getChatAdministrators`` call for the group unless one is already queued."""
    if conn.scalar(_FETCH_QUEUED, {"chat_id": chat_id, "method": METHOD}):
        return False
    queued = outbox.enqueue(conn, [outbox.Message(chat_id, METHOD, {})]) > 0
    if queued:
        outbox.notify(conn)
    return queued


def wait_for_admins(conn: Connection, chat_id: int, player_id: int, session_id: int) -> None:
    """A /stop from ``player_id`` waits for the list, which is fetched if need be."""
    conn.execute(_ADD_CHECK, {"chat_id": chat_id, "player_id": player_id, "sid": session_id})
    request_fetch(conn, chat_id)


def store_admins(conn: Connection, chat_id: int, admin_ids: Iterable[int]) -> int:
    """Cache the group's list and answer the /stop requests that waited for it.

    An admin's /stop becomes a stop request to the writer, anyone else's gets a
    refusal; both get a follow-up message. Returns how many requests it answered.
    """
    ids = sorted(set(admin_ids))
    conn.execute(_STORE, {"chat_id": chat_id, "admin_ids": "{" + ",".join(map(str, ids)) + "}"})
    replies: list[outbox.Message] = []
    checks = conn.execute(_TAKE_CHECKS, {"chat_id": chat_id}).all()
    tr = translator(chat_language(conn, chat_id))
    for check in checks:
        allowed = check.player_id in ids
        if allowed:
            allowed = file_request(conn, check.session_id, "stop", check.player_id)
            if not allowed:
                continue  # the game ended meanwhile: nothing to say
        text = tr.gettext(STOPPING if allowed else NOT_ADMIN)
        replies.append(outbox.Message(chat_id, "sendMessage", {"text": text, "parse_mode": HTML}))
    if outbox.enqueue(conn, replies):
        outbox.notify(conn)
    return len(checks)


def give_up_checks(conn: Connection, chat_id: int) -> int:
    """The group's list could not be fetched: answer the waiting /stop requests, cache untouched.

    Each member who asked gets a follow-up saying the quiz goes on; a later
    /stop asks for the list again. Returns how many requests it answered.
    """
    checks = conn.execute(_TAKE_CHECKS, {"chat_id": chat_id}).all()
    if not checks:
        return 0
    text = translator(chat_language(conn, chat_id)).gettext(UNCHECKED)
    reply = {"text": text, "parse_mode": HTML}
    if outbox.enqueue(conn, [outbox.Message(chat_id, "sendMessage", reply)]):
        outbox.notify(conn)
    return len(checks)
