"""A user's own quizzes: finding one with its ownership, share links, deletion, the quota.

Who may do what is the domain's rule (``domain.ownership.may``); this module
reads what the rule needs and does what it allows. A deleted quiz is found by
nothing here: its row stays only for the sessions that played it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.ownership import Action, Actor, Ownership, Visibility, may

# 16 random bytes, URL-safe base64: 22 characters of [A-Za-z0-9_-], what a
# deep link's payload allows; "q-" + 22 is far within its 64.
SHARE_TOKEN_BYTES = 16

# A slug is unique per owner (operators' imports: one owner, NULL). A user finds
# their own quiz first, then a public one, an operator's before a user's; someone
# else's private quiz never, so it cannot hide a public one of the same slug.
# An operator (user_id NULL) finds any quiz, operators' own first.
_BY_SLUG = sa.text(
    """
    SELECT id, slug, title, question_count, owner_id, visibility::text AS visibility
    FROM quizzes
    WHERE slug = :slug AND deleted_at IS NULL
      AND (CAST(:user_id AS bigint) IS NULL OR owner_id = :user_id OR visibility = 'public')
    ORDER BY owner_id IS NOT DISTINCT FROM CAST(:user_id AS bigint) DESC,
             owner_id IS NULL DESC, id
    LIMIT 1
    """
)
_BY_ID = sa.text(
    """
    SELECT id, slug, title, question_count, owner_id, visibility::text AS visibility
    FROM quizzes WHERE id = :id AND deleted_at IS NULL
    """
)
_BY_TOKEN = sa.text(
    """
    SELECT id, slug, title, question_count, owner_id, visibility::text AS visibility
    FROM quizzes WHERE share_token = :token AND deleted_at IS NULL
    """
)
_OWNED = sa.text(
    """
    SELECT id, slug, title, question_count, owner_id, visibility::text AS visibility
    FROM quizzes WHERE owner_id = :owner_id AND deleted_at IS NULL ORDER BY id
    """
)
# The token is set once; a concurrent first share keeps whichever committed first.
_SHARE = sa.text(
    """
    UPDATE quizzes SET share_token = coalesce(share_token, :token)
    WHERE id = :id RETURNING share_token
    """
)
_DELETE = sa.text(
    "UPDATE quizzes SET deleted_at = now(), share_token = NULL "
    "WHERE id = :id AND deleted_at IS NULL"
)
_COUNT = sa.text("SELECT count(*) FROM quizzes WHERE owner_id = :owner_id AND deleted_at IS NULL")


@dataclass(frozen=True, slots=True)
class FoundQuiz:
    """A quiz as the ownership rule and the owner's menu need it."""

    id: int
    slug: str
    title: str
    question_count: int
    ownership: Ownership


def _found(row: sa.Row[tuple[object, ...]] | None) -> FoundQuiz | None:
    if row is None:
        return None
    m = row._mapping
    ownership = Ownership(m["owner_id"], Visibility(m["visibility"]))
    return FoundQuiz(m["id"], m["slug"], m["title"], m["question_count"], ownership)


def find_for(conn: Connection, slug: str, user_id: int | None) -> FoundQuiz | None:
    """The quiz ``slug`` names for ``user_id`` (None: an operator), with its ownership."""
    return _found(conn.execute(_BY_SLUG, {"slug": slug, "user_id": user_id}).first())


def find_quiz(conn: Connection, slug: str, actor: Actor, action: Action) -> FoundQuiz | None:
    """The quiz ``slug`` names, when ``actor`` may do ``action`` with it; else None.

    Refused and missing look the same, so a slug tells nobody that a private quiz exists.
    """
    found = find_for(conn, slug, actor.user_id)
    return found if found is not None and may(actor, action, found.ownership) else None


def quiz_by_id(conn: Connection, quiz_id: int, actor: Actor, action: Action) -> FoundQuiz | None:
    """The quiz ``quiz_id`` when ``actor`` may do ``action`` with it; else None."""
    found = _found(conn.execute(_BY_ID, {"id": quiz_id}).first())
    return found if found is not None and may(actor, action, found.ownership) else None


def shared_quiz(conn: Connection, token: str) -> FoundQuiz | None:
    """The quiz a share link's token names (anyone with the link may play it)."""
    return _found(conn.execute(_BY_TOKEN, {"token": token}).first())


def owned_quizzes(conn: Connection, owner_id: int) -> list[FoundQuiz]:
    """Every quiz ``owner_id`` keeps, oldest first."""
    rows = conn.execute(_OWNED, {"owner_id": owner_id})
    return [found for row in rows if (found := _found(row)) is not None]


def share_token(conn: Connection, quiz_id: int) -> str:
    """The quiz's share token, made now if it has none."""
    new = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    return str(conn.execute(_SHARE, {"id": quiz_id, "token": new}).scalar_one())


def delete_quiz(conn: Connection, quiz_id: int) -> bool:
    """Delete a quiz (its share link dies with it); False when it was deleted already."""
    return bool(conn.execute(_DELETE, {"id": quiz_id}).rowcount)


def owned_count(conn: Connection, owner_id: int) -> int:
    """How many quizzes ``owner_id`` keeps (the per-user quota counts these)."""
    return int(conn.scalar(_COUNT, {"owner_id": owner_id}) or 0)
