"""Which language the bot speaks to a player and in a chat, and the /language choices.

A player's language is the one they chose with /language, else the one their
Telegram app reports (``language_code``, read through `domain.language.pick`).
A group speaks the language its admins (or its game's host) chose, else English.
A private chat speaks its player's language (a private chat's id is its user's id).
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.language import DEFAULT, LANGUAGES, pick

_CHAT = sa.text(
    """
    SELECT c.type, c.language, p.language AS chosen, p.language_code
    FROM (SELECT CAST(:id AS bigint) AS id) k
    LEFT JOIN chats c ON c.id = k.id
    LEFT JOIN players p ON p.id = k.id
    """
)
_PLAYER = sa.text("SELECT language, language_code FROM players WHERE id = :id")
_PARTICIPANTS = sa.text(
    """
    SELECT pt.player_id, pl.language, pl.language_code
    FROM participants pt LEFT JOIN players pl ON pl.id = pt.player_id
    WHERE pt.session_id = :session_id
    """
)
_HOST = sa.text(
    """
    SELECT EXISTS (SELECT 1 FROM sessions WHERE chat_id = :chat_id AND host_id = :player_id
                   AND status IN ('lobby', 'question', 'reveal'))
    """
)
_SET_PLAYER = sa.text("UPDATE players SET language = :language WHERE id = :id")
_SET_CHAT = sa.text("UPDATE chats SET language = :language WHERE id = :id")


def _resolve(chosen: str | None, language_code: str | None) -> str:
    return chosen if chosen in LANGUAGES else pick(language_code)


def player_language(conn: Connection, player_id: int, language_code: str | None = None) -> str:
    """The player's language; `language_code` (from the update) serves when they have no row."""
    row = conn.execute(_PLAYER, {"id": player_id}).first()
    if row is None:
        return pick(language_code)
    return _resolve(row.language, language_code or row.language_code)


def chat_language(conn: Connection, chat_id: int) -> str:
    """The language of the bot's messages in a chat: the group's, or the private chat's player's."""
    row = conn.execute(_CHAT, {"id": chat_id}).one()
    if row.type is not None and row.type != "private":
        return row.language if row.language in LANGUAGES else DEFAULT
    return _resolve(row.chosen, row.language_code)


def participant_languages(conn: Connection, session_id: int) -> dict[str, list[int]]:
    """A session's participants by language (the player ids speaking each)."""
    by_language: dict[str, list[int]] = defaultdict(list)
    for row in conn.execute(_PARTICIPANTS, {"session_id": session_id}):
        by_language[_resolve(row.language, row.language_code)].append(row.player_id)
    return dict(by_language)


def hosts_game(conn: Connection, chat_id: int, player_id: int) -> bool:
    """Whether ``player_id`` hosts the game running in ``chat_id``."""
    return bool(conn.scalar(_HOST, {"chat_id": chat_id, "player_id": player_id}))


def set_player_language(conn: Connection, player_id: int, language: str) -> None:
    """Store a player's /language choice (their row exists: the update upserted it)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for {language!r}")
    conn.execute(_SET_PLAYER, {"id": player_id, "language": language})


def set_chat_language(conn: Connection, chat_id: int, language: str) -> None:
    """Store a group's language (its row exists: the update upserted it)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for {language!r}")
    conn.execute(_SET_CHAT, {"id": chat_id, "language": language})
