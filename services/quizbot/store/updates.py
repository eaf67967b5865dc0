"""Telegram updates already applied, and the players and chats they tell us about.

Every statement runs in the caller's transaction, next to the effect of the
update, so "applied" and "recorded as applied" commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True, slots=True)
class PlayerInfo:
    """What an update says about its sender."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None


# MARK_PROCESSED: claim an update id. Two deliveries of one update racing in two
# workers both try the insert; the primary key lets exactly one of them see its
# row RETURNED (the other waits on the row lock, then sees the conflict), so the
# effect that follows in the same transaction happens once.
MARK_PROCESSED = sa.text(
    """
    INSERT INTO processed_updates (update_id) VALUES (:update_id)
    ON CONFLICT DO NOTHING
    RETURNING update_id
    """
)

# UPSERT_PLAYERS: names change, so the newest update wins; ordered by id so two
# transactions upserting overlapping players lock rows in the same order.
UPSERT_PLAYERS = sa.text(
    """
    INSERT INTO players (id, first_name, username, language_code)
    SELECT DISTINCT ON (p.id) p.id, left(p.first_name, 128), left(p.username, 64),
           left(p.language_code, 16)
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
         AS p(id bigint, first_name text, username text, language_code text)
    ORDER BY p.id
    ON CONFLICT (id) DO UPDATE
    SET first_name = EXCLUDED.first_name, username = EXCLUDED.username,
        language_code = coalesce(EXCLUDED.language_code, players.language_code),
        last_seen_at = now()
    """
)

# UPSERT_CHAT: a message from a chat proves the bot can write there again (a
# user cannot write to a bot they blocked, nor a group to a bot it removed), so
# it clears any block mark; the row is updated anyway, so this costs nothing.
UPSERT_CHAT = sa.text(
    """
    INSERT INTO chats (id, type, title) VALUES (:id, :type, left(:title, 256))
    ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type,
        title = coalesce(EXCLUDED.title, chats.title),
        blocked_at = NULL, blocked_reason = NULL
    """
)

# UNBLOCK_CHATS: a button pressed in a private chat proves the same. Only rows
# that are marked are touched (and locked), so for the usual unblocked player
# this is a primary-key probe that writes nothing.
UNBLOCK_CHATS = sa.text(
    """
    UPDATE chats SET blocked_at = NULL, blocked_reason = NULL
    WHERE id = ANY(CAST(:ids AS bigint[])) AND blocked_at IS NOT NULL
    """
)

# SET_BLOCKED: my_chat_member tells us the bot was blocked (kicked/left) or is
# back; the sender stops writing to a blocked chat.
SET_BLOCKED = sa.text(
    """
    INSERT INTO chats (id, type, title, blocked_at, blocked_reason)
    VALUES (:id, :type, left(:title, 256),
            CASE WHEN :blocked THEN now() END, CASE WHEN :blocked THEN :reason END)
    ON CONFLICT (id) DO UPDATE
    SET blocked_at = CASE WHEN :blocked THEN coalesce(chats.blocked_at, now()) END,
        blocked_reason = CASE WHEN :blocked THEN :reason END
    """
)

# MIGRATE_CHAT: a group became a supergroup. What is addressed to the old id
# moves to the new one: the chat row, live sessions and their participants'
# chat, unsent outbox rows (params carry chat_id too; a claimed row's sender
# moves it in memory as well, on Telegram's migrate_to_chat_id error) and the
# chat leaderboard. Each step is idempotent, so applying it twice is harmless:
# the web tier applies it when the service message arrives, the sender when a
# call to the old id is refused, whichever comes first.
MIGRATE_CHAT = tuple(
    sa.text(sql)
    for sql in (
        """
        INSERT INTO chats (id, type, title)
        SELECT :new, 'supergroup', (SELECT title FROM chats WHERE id = :old)
        ON CONFLICT (id) DO UPDATE SET type = 'supergroup'
        """,
        """
        INSERT INTO chats (id, type, migrated_to) VALUES (:old, 'group', :new)
        ON CONFLICT (id) DO UPDATE SET migrated_to = :new
        """,
        """
        UPDATE participants p SET chat_id = :new
        FROM sessions s
        WHERE p.session_id = s.id AND p.chat_id = :old
          AND s.status IN ('lobby', 'question', 'reveal')
        """,
        """
        UPDATE sessions SET chat_id = :new
        WHERE chat_id = :old AND status IN ('lobby', 'question', 'reveal')
        """,
        """
        UPDATE outbox
        SET chat_id = :new, params = jsonb_set(params, '{chat_id}', to_jsonb(CAST(:new AS bigint)))
        WHERE chat_id = :old AND status IN ('pending', 'claimed')
        """,
        """
        INSERT INTO leaderboard_chat (chat_id, player_id, score_total, games)
        SELECT :new, player_id, score_total, games FROM leaderboard_chat WHERE chat_id = :old
        ON CONFLICT (chat_id, player_id) DO UPDATE
        SET score_total = leaderboard_chat.score_total + EXCLUDED.score_total,
            games = leaderboard_chat.games + EXCLUDED.games
        """,
        "DELETE FROM leaderboard_chat WHERE chat_id = :old",
    )
)


def mark_processed(conn: Connection, update_id: int) -> bool:
    """Record ``update_id`` as applied; False when it already was (skip the effect)."""
    return conn.execute(MARK_PROCESSED, {"update_id": update_id}).first() is not None


def upsert_players(conn: Connection, players: Iterable[PlayerInfo]) -> None:
    """Create or refresh the players' names."""
    rows = [
        {
            "id": p.id,
            "first_name": p.first_name,
            "username": p.username,
            "language_code": p.language_code,
        }
        for p in players
    ]
    if rows:
        conn.execute(UPSERT_PLAYERS, {"rows": orjson.dumps(rows).decode()})


def upsert_chat(conn: Connection, chat_id: int, chat_type: str, title: str | None) -> None:
    """Create or refresh a chat row."""
    conn.execute(UPSERT_CHAT, {"id": chat_id, "type": chat_type, "title": title})


def unblock_chats(conn: Connection, chat_ids: Iterable[int]) -> int:
    """Clear the block mark of ``chat_ids`` (they wrote to the bot); returns how many had one."""
    ids = sorted(set(chat_ids))
    if not ids:
        return 0
    return int(conn.execute(UNBLOCK_CHATS, {"ids": ids}).rowcount or 0)


def set_blocked(
    conn: Connection, chat_id: int, chat_type: str, title: str | None, *, blocked: bool, reason: str
) -> None:
    """Mark a chat blocked (the bot may not write there) or clear the mark."""
    conn.execute(
        SET_BLOCKED,
        {"id": chat_id, "type": chat_type, "title": title, "blocked": blocked, "reason": reason},
    )


def migrate_chat(conn: Connection, old_chat_id: int, new_chat_id: int) -> None:
    """Move a group's live state to its new supergroup id."""
    for statement in MIGRATE_CHAT:
        conn.execute(statement, {"old": old_chat_id, "new": new_chat_id})
