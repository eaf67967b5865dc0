"""Sessions as the web tier touches them: create, join, and requests to the writer.

The writer is the only program that makes game transitions. The web tier
creates sessions (in ``lobby``), adds participants, and files requests
(``pending_command`` with ``deadline = now()``) that the writer's clock picks
up at once; a NOTIFY on ``quizbot_clock`` saves it the polling delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.session import Mode, SessionState, Status, Style
from quizbot.store.outbox import CLOCK_CHANNEL, notify

LIVE = ("lobby", "question", "reveal")

# LOCK_CHAT: one live session per chat. Two /play commands in one chat may race
# in two workers; this transaction-scoped advisory lock (safe with pgbouncer's
# transaction pooling) serializes them, so the second sees the first's session.
LOCK_CHAT = sa.text("SELECT pg_advisory_xact_lock(20240, hashtext(CAST(:chat_id AS text)))")

LIVE_IN_CHAT = sa.text(
    """
    SELECT id FROM sessions
    WHERE chat_id = :chat_id AND status IN ('lobby', 'question', 'reveal')
    ORDER BY id DESC LIMIT 1
    """
)

# CREATE_SESSION: a new session in the lobby. A solo session comes with its
# start request already filed (pending_command 'start', deadline now()), so the
# writer opens the first question on its next tick.
CREATE_SESSION = sa.text(
    """
    INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, question_count, deadline,
                          pending_command, pending_by, style)
    SELECT q.id, CAST(:mode AS session_mode), 'lobby', :chat_id, :host_id, q.question_count,
           CASE WHEN :solo THEN now() ELSE now() + make_interval(secs => :lobby_s) END,
           CASE WHEN :solo THEN 'start' END, CASE WHEN :solo THEN CAST(:host_id AS bigint) END,
           :style
    FROM quizzes q WHERE q.id = :quiz_id
    RETURNING id, created_at
    """
)

# SESSION_STATE: the session as the domain rules see it, locked FOR NO KEY UPDATE
# so a join or request cannot interleave with a writer transition (the writer
# locks the row FOR UPDATE): a participant added here is either in the writer's
# next broadcast or joined after it and gets the current question from Join.
SESSION_STATE = sa.text(
    """
    SELECT s.id, s.quiz_id, s.mode, s.status, q.title, s.question_count, s.position,
           s.deadline, s.chat_id, s.host_id, s.participant_count, s.answered_count,
           s.last_activity_at, s.close_when_all_answered, s.style, now() AS now
    FROM sessions s JOIN quizzes q ON q.id = s.quiz_id
    WHERE s.id = :session_id
    FOR NO KEY UPDATE OF s
    """
)

ADD_PARTICIPANT = sa.text(
    """
    INSERT INTO participants (session_id, player_id, chat_id)
    VALUES (:session_id, :player_id, :chat_id)
    ON CONFLICT DO NOTHING
    RETURNING player_id
    """
)

COUNT_JOIN = sa.text(
    """
    UPDATE sessions SET participant_count = participant_count + 1, last_activity_at = now()
    WHERE id = :session_id
    """
)

# FILE_REQUEST: the host's Start or /stop. deadline = now() puts the session at
# the head of the writer's due queue; only live sessions take requests.
FILE_REQUEST = sa.text(
    """
    UPDATE sessions
    SET pending_command = :command, pending_by = :by, deadline = now(), last_activity_at = now()
    WHERE id = :session_id AND status IN ('lobby', 'question', 'reveal')
    RETURNING id
    """
)


SESSION_QUIZ = sa.text(
    """
    SELECT q.slug, CAST(s.mode AS text) AS mode
    FROM sessions s JOIN quizzes q ON q.id = s.quiz_id
    WHERE s.id = :session_id
    """
)

SET_CLOSE_EARLY = sa.text(
    "UPDATE sessions SET close_when_all_answered = :on WHERE id = :session_id"
)


@dataclass(frozen=True, slots=True)
class LockedSession:
    """A session row locked for this transaction, with the database's ``now``."""

    quiz_id: int
    state: SessionState
    now: datetime


def lock_chat(conn: Connection, chat_id: int) -> int | None:
    """Serialize session creation in ``chat_id``; the live session there, if any."""
    conn.execute(LOCK_CHAT, {"chat_id": chat_id})
    return live_in_chat(conn, chat_id)


def live_in_chat(conn: Connection, chat_id: int) -> int | None:
    """The live session whose chat is ``chat_id``, if any."""
    value = conn.scalar(LIVE_IN_CHAT, {"chat_id": chat_id})
    return int(value) if value is not None else None


def create_session(
    conn: Connection,
    quiz_id: int,
    mode: Mode,
    chat_id: int,
    host_id: int,
    *,
    lobby_s: float,
    style: Style = Style.BUTTONS,
) -> tuple[int, datetime]:
    """Insert a session in the lobby; (id, creation time). Solo ones also get their player."""
    solo = mode is Mode.SOLO
    row = conn.execute(
        CREATE_SESSION,
        {
            "quiz_id": quiz_id,
            "mode": mode.value,
            "chat_id": chat_id,
            "host_id": host_id,
            "solo": solo,
            "lobby_s": lobby_s,
            "style": style.value,
        },
    ).one()
    session_id = int(row.id)
    if solo:
        add_participant(conn, session_id, host_id, chat_id)
        notify(conn, CLOCK_CHANNEL, str(session_id))
    return session_id, row.created_at


def lock_session(conn: Connection, session_id: int) -> LockedSession | None:
    """The session's state, locked until the transaction ends; None if it does not exist."""
    row = conn.execute(SESSION_STATE, {"session_id": session_id}).first()
    if row is None:
        return None
    state = SessionState(
        session_id=row.id,
        mode=Mode(row.mode),
        status=Status(row.status),
        quiz_title=row.title,
        question_count=row.question_count,
        position=row.position,
        deadline=row.deadline,
        chat_id=row.chat_id,
        host_id=row.host_id,
        participant_count=row.participant_count,
        answered_count=row.answered_count,
        last_activity_at=row.last_activity_at,
        close_when_all_answered=row.close_when_all_answered,
        style=Style(row.style),
    )
    return LockedSession(quiz_id=row.quiz_id, state=state, now=row.now)


def add_participant(conn: Connection, session_id: int, player_id: int, chat_id: int) -> bool:
    """Add a participant and count them; False when they had already joined."""
    added = conn.execute(
        ADD_PARTICIPANT, {"session_id": session_id, "player_id": player_id, "chat_id": chat_id}
    ).first()
    if added is None:
        return False
    conn.execute(COUNT_JOIN, {"session_id": session_id})
    return True


def session_quiz(conn: Connection, session_id: int) -> tuple[str, Mode] | None:
    """(quiz slug, mode) of a session, for Play again; None if there is no such session."""
    row = conn.execute(SESSION_QUIZ, {"session_id": session_id}).first()
    return (str(row.slug), Mode(row.mode)) if row is not None else None


def set_close_early(conn: Connection, session_id: int, on: bool) -> None:
    """Store the host's close-early choice for a group session (locked by the caller)."""
    conn.execute(SET_CLOSE_EARLY, {"session_id": session_id, "on": on})


def file_request(conn: Connection, session_id: int, command: str, by_player_id: int) -> bool:
    """Ask the writer to ``start`` or ``stop`` a live session, and wake it."""
    if command not in ("start", "stop"):
        raise ValueError(f"unknown request {command!r}")
    filed = conn.execute(
        FILE_REQUEST, {"session_id": session_id, "command": command, "by": by_player_id}
    ).first()
    if filed is not None:
        notify(conn, CLOCK_CHANNEL, str(session_id))
    return filed is not None
