"""SQLAlchemy 2 models: the schema every program shares.

The Alembic migrations in ``quizbot.store.migrations`` create exactly this schema;
``tests/integration/test_schema.py`` fails when the two drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from quizbot.domain.ownership import Visibility

NOW = sa.text("now()")


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


SESSION_MODES = ("solo", "group", "private")
SESSION_STATUSES = ("lobby", "question", "reveal", "finished", "stopped", "abandoned")
OUTBOX_STATUSES = ("pending", "claimed", "sent", "dropped", "dead")
VISIBILITIES = tuple(v.value for v in Visibility)


class Quiz(Base):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    # Unique per owner among quizzes not deleted (operators' imports: one owner, NULL).
    slug: Mapped[str] = mapped_column(sa.String(64), index=True)
    title: Mapped[str] = mapped_column(sa.String(128))
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    question_count: Mapped[int] = mapped_column(sa.Integer)
    # The default style of its live games: "buttons" or "polls" (domain.session.Style).
    style: Mapped[str] = mapped_column(sa.String(16), server_default="buttons")
    # The Telegram user who made or uploaded it; NULL for an operator's import.
    # Indexed for a user's own list (/myquizzes). Who may do what: domain.ownership.
    owner_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    visibility: Mapped[str] = mapped_column(
        sa.Enum(*VISIBILITIES, name="quiz_visibility"), server_default="public"
    )
    # The share link's token (/start q-<token>), made on first use; and when the
    # owner deleted it (the row stays: sessions that played it refer to it).
    share_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Each game shows a question's options in its own order (domain.quiz.option_order).
    shuffle: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)

    __table_args__ = (
        sa.Index(
            "uq_quizzes_owner_slug",
            "owner_id",
            "slug",
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
            postgresql_nulls_not_distinct=True,
        ),
    )


class Question(Base):
    __tablename__ = "questions"

    quiz_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    text: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[str]] = mapped_column(JSONB)
    correct: Mapped[list[int]] = mapped_column(ARRAY(sa.SmallInteger))
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    time_limit_s: Mapped[int] = mapped_column(sa.SmallInteger)


class Player(Base):
    """A Telegram user, with lifetime stats the writer keeps at each finish."""

    __tablename__ = "players"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(sa.String(128), server_default="")
    username: Mapped[str | None] = mapped_column(sa.String(64))
    language_code: Mapped[str | None] = mapped_column(sa.String(16))
    language: Mapped[str | None] = mapped_column(sa.String(8))  # chosen with /language
    games_played: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    answers_total: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    answers_correct: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    score_total: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    wins: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)

    __table_args__ = (sa.Index("ix_players_global_top", sa.text("score_total DESC"), "id"),)


class Chat(Base):
    """A Telegram chat the bot talks to; blocked and migrated chats are remembered."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str | None] = mapped_column(sa.String(256))
    blocked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    blocked_reason: Mapped[str | None] = mapped_column(sa.Text)
    migrated_to: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    language: Mapped[str | None] = mapped_column(sa.String(8))  # a group's, set by its admins


class Session(Base):
    """One play of a quiz. ``deadline`` is the game clock: the next transition is due then."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id"))
    mode: Mapped[str] = mapped_column(sa.Enum(*SESSION_MODES, name="session_mode"))
    status: Mapped[str] = mapped_column(sa.Enum(*SESSION_STATUSES, name="session_status"))
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    host_id: Mapped[int] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(sa.SmallInteger, server_default="-1")
    question_count: Mapped[int] = mapped_column(sa.SmallInteger)
    opened_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    deadline: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    time_limit_ms: Mapped[int | None] = mapped_column(sa.Integer)
    participant_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    answered_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    # How questions are asked: "buttons" or "polls" (domain.session.Style).
    style: Mapped[str] = mapped_column(sa.String(16), server_default="buttons")
    # A host's request the writer has yet to apply ("start" or "stop"); the web
    # tier sets it together with deadline = now(), so the clock picks it up.
    pending_command: Mapped[str | None] = mapped_column(sa.String(16))
    pending_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    finish_reason: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_activity_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=NOW
    )
    # Transitions of this session that raised in a row; it is ended after TRANSITION_MAX_TRIES.
    transition_failures: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    # The host's lobby option for a group game: close a question as soon as every
    # joined player has answered (otherwise it stays open its full time).
    close_when_all_answered: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())

    __table_args__ = (
        # Due deadlines: the writer's clock query scans only live sessions.
        sa.Index(
            "ix_sessions_due",
            "deadline",
            postgresql_where=sa.text("status IN ('lobby', 'question', 'reveal')"),
        ),
        # The open-question check in the answer insert: one live session per id.
        sa.Index(
            "ix_sessions_open",
            "id",
            "position",
            "deadline",
            postgresql_where=sa.text("status = 'question'"),
        ),
        # /live and /play refuse a second live session in the same chat.
        sa.Index(
            "ix_sessions_chat_live",
            "chat_id",
            postgresql_where=sa.text("status IN ('lobby', 'question', 'reveal')"),
        ),
    )


class Poll(Base):
    """A quiz poll the sender sent, and the question it asks: a poll_answer names only the poll."""

    __tablename__ = "polls"

    poll_id: Mapped[str] = mapped_column(sa.String(256), primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)

    __table_args__ = (sa.Index("ix_polls_session", "session_id"),)


class HeldVote(Base):
    """A quiz-poll vote whose poll id was not recorded yet when it arrived.

    Applied, scored by ``received_at``, when the sender records the poll
    (``quizbot.store.held_votes``); pruned after an hour if it never is.
    """

    __tablename__ = "held_votes"

    update_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    poll_id: Mapped[str] = mapped_column(sa.String(256))
    player_id: Mapped[int] = mapped_column(sa.BigInteger)
    option: Mapped[int] = mapped_column(sa.SmallInteger)
    received_at: Mapped[float] = mapped_column(sa.Double)  # epoch seconds at the webhook
    held_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)

    __table_args__ = (
        sa.Index("ix_held_votes_poll", "poll_id"),
        sa.Index("ix_held_votes_held_at", "held_at"),
    )


class Participant(Base):
    __tablename__ = "participants"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    player_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    joined_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class Answer(Base):
    """One answer per player per question: the primary key makes the first one win."""

    __tablename__ = "answers"

    session_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    player_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    option: Mapped[int] = mapped_column(sa.SmallInteger)
    correct: Mapped[bool] = mapped_column(sa.Boolean)
    elapsed_ms: Mapped[int] = mapped_column(sa.Integer)
    answered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class Result(Base):
    __tablename__ = "results"

    session_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    player_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    score: Mapped[int] = mapped_column(sa.Integer)
    correct: Mapped[int] = mapped_column(sa.Integer)
    answered: Mapped[int] = mapped_column(sa.Integer)
    total_time_ms: Mapped[int] = mapped_column(sa.BigInteger)
    rank: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_results_session_rank", "session_id", "rank"),)


class QuestionStat(Base):
    __tablename__ = "question_stats"

    session_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    answered: Mapped[int] = mapped_column(sa.Integer)
    correct: Mapped[int] = mapped_column(sa.Integer)
    mean_ms: Mapped[int | None] = mapped_column(sa.Integer)


class LeaderboardQuiz(Base):
    """Best score per player per quiz, kept up to date at each finish."""

    __tablename__ = "leaderboard_quiz"

    quiz_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    player_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    best_score: Mapped[int] = mapped_column(sa.Integer)
    best_time_ms: Mapped[int] = mapped_column(sa.BigInteger)
    session_id: Mapped[int] = mapped_column(sa.BigInteger)
    achieved_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)

    __table_args__ = (
        sa.Index("ix_leaderboard_quiz_top", "quiz_id", sa.text("best_score DESC"), "best_time_ms"),
    )


class LeaderboardChat(Base):
    """Total score per player per group chat, kept up to date at each finish."""

    __tablename__ = "leaderboard_chat"

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    player_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    score_total: Mapped[int] = mapped_column(sa.BigInteger)
    games: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_leaderboard_chat_top", "chat_id", sa.text("score_total DESC")),)


class Outbox(Base):
    """Bot API calls waiting to be made, and what became of them.

    ``chat_id`` is the per-chat ordering key: the sender sends one chat's rows in
    ``id`` order, one at a time. ``ref`` names a sent message so a later edit
    (``edit_ref``) can find the ``telegram_message_id`` Telegram returned.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[str] = mapped_column(sa.String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    ref: Mapped[str | None] = mapped_column(sa.String(96))
    edit_ref: Mapped[str | None] = mapped_column(sa.String(96))
    session_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(
        sa.Enum(*OUTBOX_STATUSES, name="outbox_status"), server_default="pending"
    )
    attempts: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    available_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    lease_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    leased_by: Mapped[str | None] = mapped_column(sa.String(64))
    # The sender lock generation the claim was made under (the fence, see sender_lock).
    lease_gen: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        # The sender's claim: pending rows that are due, oldest first.
        sa.Index(
            "ix_outbox_pending",
            "available_at",
            "id",
            postgresql_where=sa.text("status = 'pending'"),
        ),
        # Lease expiry: claimed rows whose sender died.
        sa.Index(
            "ix_outbox_claimed",
            "lease_until",
            postgresql_where=sa.text("status = 'claimed'"),
        ),
        # Per-chat order and edit resolution (ref -> message id in the same chat).
        sa.Index("ix_outbox_chat", "chat_id", "id"),
        # The claim's per-chat order check ("no earlier unsent row of this chat
        # waits"): only unsent rows, so a chat's sent history is never scanned.
        sa.Index(
            "ix_outbox_chat_unsent",
            "chat_id",
            "id",
            postgresql_where=sa.text("status IN ('pending', 'claimed')"),
        ),
        sa.Index(
            "ix_outbox_ref",
            "chat_id",
            "ref",
            postgresql_where=sa.text("ref IS NOT NULL"),
        ),
    )


class OutboxFile(Base):
    """The file an outbox row uploads (``sendDocument``): its parameter, name and bytes."""

    __tablename__ = "outbox_files"

    outbox_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(sa.String(32))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class QuizUpload(Base):
    """A quiz file a user sent: waiting for the upload worker, or what became of it."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    file_id: Mapped[str] = mapped_column(sa.String(256))
    file_name: Mapped[str] = mapped_column(sa.String(256))
    file_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    available_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    quiz_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # The quiz this file edits (caption "edit <slug>"), checked by the web tier.
    replaces_quiz_id: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        # The worker's claim: open requests, oldest due first.
        sa.Index(
            "ix_uploads_open",
            "available_at",
            "id",
            postgresql_where=sa.text("status IN ('pending', 'working')"),
        ),
    )


class ProcessedUpdate(Base):
    """Telegram update ids already applied: a retried update has no second effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)

    __table_args__ = (sa.Index("ix_processed_updates_at", "processed_at"),)


class SenderLock(Base):
    """The generation of the sender lock: bumped by each sender that takes the lock.

    Claims carry the generation they were made under, and a sender claims and
    extends leases only while its generation is the current one, so a holder
    that lost the lock cannot touch the outbox after a standby took over.
    """

    __tablename__ = "sender_lock"

    key: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(sa.BigInteger)
    holder: Mapped[str] = mapped_column(sa.String(64))
    acquired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class ProgramStatus(Base):
    """Each daemon's state, upserted about once a second; ``/monitoring/stats`` lists it."""

    __tablename__ = "program_status"

    program: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    pid: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(sa.String(32))
    db_up: Mapped[bool] = mapped_column(sa.Boolean)
    lock_holder: Mapped[bool | None] = mapped_column(sa.Boolean)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class ChatAdmin(Base):
    """A group's administrators as ``getChatAdministrators`` returned them, and when."""

    __tablename__ = "chat_admins"

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    admin_ids: Mapped[list[int]] = mapped_column(ARRAY(sa.BigInteger))
    fetched_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class StopCheck(Base):
    """A /stop from a member who is not the host, waiting for the group's admin list."""

    __tablename__ = "stop_checks"

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    player_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class QuizDraft(Base):
    """A user's /newquiz conversation (``domain.draft``; NULL: none under way), and
    how many wizard messages they sent in the current minute."""

    __tablename__ = "quiz_drafts"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    window_start: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), server_default=NOW
    )
    window_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), server_default=NOW
    )
