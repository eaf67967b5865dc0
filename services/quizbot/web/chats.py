"""What Telegram tells us about chats: the bot blocked or back, a group upgraded.

A user who blocks the bot (``my_chat_member`` with status ``kicked``) or a group
that removes it gets ``chats.blocked_at``, so the sender stops writing there
instead of collecting 403s. A group that becomes a supergroup changes its id
(``migrate_to_chat_id``); live sessions, pending messages and the chat's
leaderboard move to the new id.
"""

from __future__ import annotations

from quizbot.store import admins
from quizbot.store.updates import mark_processed, migrate_chat, set_blocked
from quizbot.web.runtime import Runtime
from quizbot.web.updates import GROUP_TYPES, AdminChange, MemberChange, Migration


def apply_member_change(rt: Runtime, change: MemberChange) -> None:
    """Record that the bot can (no longer) write to a chat."""
    with rt.engine.begin() as conn:
        if not mark_processed(conn, change.update_id):
            return
        set_blocked(
            conn,
            change.chat_id,
            change.chat_type,
            change.chat_title,
            blocked=change.gone,
            reason=f"my_chat_member: {change.status}",
        )
        if not change.gone and change.chat_type in GROUP_TYPES:
            # The bot joined a group: learn who may /stop its games.
            admins.request_fetch(conn, change.chat_id)


def apply_admin_change(rt: Runtime, change: AdminChange) -> None:
    """A member became or stopped being an admin: fetch the group's list again."""
    with rt.engine.begin() as conn:
        if mark_processed(conn, change.update_id):
            admins.request_fetch(conn, change.chat_id)


def apply_migration(rt: Runtime, migration: Migration) -> None:
    """Move a group's live state to its new supergroup id."""
    with rt.engine.begin() as conn:
        if not mark_processed(conn, migration.update_id):
            return
        migrate_chat(conn, migration.old_chat_id, migration.new_chat_id)
