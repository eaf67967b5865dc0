"""Helpers for the web tier's integration tests: a real gunicorn, real updates, seeded games.

The server is the production one: gunicorn from config/gunicorn.conf.py with
uvicorn workers, talking to PostgreSQL through a real pgbouncer. Updates are
shaped like Telegram's, and each one parses with python-telegram-bot's own
``Update.de_json`` before it is sent, so the tests cannot drift into a format
Telegram never produces.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import telegram
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain.quiz import Question, Quiz
from quizbot.store.quizzes import import_quiz

SECRET = "test-secret"
BOT_USERNAME = "quizbot_test_bot"
GROUP_CHAT = -100777
FIRST_PLAYER = 5000
_update_ids = itertools.count(1_000_000)
_query_ids = itertools.count(1)


def next_update_id() -> int:
    """A fresh update id, as Telegram would number them."""
    return next(_update_ids)


@contextmanager
def cloned_database(admin_url: str, template: str) -> Iterator[str]:
    """A database cloned from the migrated template, for a module's shared server."""
    name = f"quizbot_w_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def web_server(
    pooled_url: str, tmp_path: Path, *, command: Sequence[str] = (), **env: str
) -> Iterator[WebServer]:
    """gunicorn with the production config on this test's database, through pgbouncer."""
    base = {
        "DATABASE_URL": pooled_url,
        "FASTAPI_WORKERS": "2",
        "WEBHOOK_SECRET": SECRET,
        "BOT_USERNAME": BOT_USERNAME,
        "QUIZBOT_VAR_DIR": str(tmp_path / "var"),
        "QUIZBOT_ENV_FILE": "",
        "LOG_LEVEL": "warning",
    }
    server = WebServer(env={**base, **env}, log_path=tmp_path / "gunicorn.log")
    if command:
        server.command = list(command)
    server.start()
    try:
        yield server
    finally:
        code = server.stop()
        assert code == 0, f"gunicorn exited with {code}:\n{server.log()[-4000:]}"


def empty_database(engine: Engine) -> None:
    """Delete every row (the schema stays): the next test starts from an empty database.

    For a module whose tests share one web server: they share no state through
    it. Ids are not restarted, so nothing a worker cached by id matches again.
    """
    with engine.begin() as conn:
        tables = conn.scalars(
            sa.text(
                "SELECT quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).all()
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))


def seed_quiz(engine: Engine, slug: str = "capitals", questions: int = 3) -> int:
    """A small quiz: question p's correct option is p % 4."""
    quiz = Quiz(
        slug=slug,
        title="Capitals",
        description="",
        questions=tuple(
            Question(
                text=f"Question {p + 1}?",
                options=("Paris", "Rome", "Oslo", "Bern"),
                correct=frozenset({p % 4}),
                explanation=None,
                time_limit_s=20,
            )
            for p in range(questions)
        ),
    )
    with engine.begin() as conn:
        return import_quiz(conn, quiz).quiz_id


def open_question(
    engine: Engine,
    quiz_id: int,
    *,
    players: int = 3,
    mode: str = "group",
    position: int = 0,
    deadline_s: float = 60.0,
    status: str = "question",
    poll_id: str | None = None,
) -> int:
    """A live session with ``players`` participants and question ``position`` open."""
    with engine.begin() as conn:
        now = conn.scalar(sa.text("SELECT now()"))
        session_id = conn.scalar(
            sa.text(
                """
                INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, position,
                    question_count, opened_at, deadline, participant_count)
                SELECT :quiz_id, CAST(:mode AS session_mode), CAST(:status AS session_status),
                       :chat_id, :host, :position, question_count, :opened, :deadline,
                       :players
                FROM quizzes WHERE id = :quiz_id
                RETURNING id
                """
            ),
            {
                "quiz_id": quiz_id,
                "mode": mode,
                "status": status,
                "chat_id": GROUP_CHAT if mode == "group" else FIRST_PLAYER,
                "host": FIRST_PLAYER,
                "position": position,
                "opened": now,
                "deadline": now + timedelta(seconds=deadline_s),
                "players": players,
            },
        )
        if poll_id is not None:  # as the sender records a sent poll
            conn.execute(
                sa.text(
                    "INSERT INTO polls (poll_id, session_id, position, chat_id)"
                    " VALUES (:poll_id, :sid, :position, :chat)"
                ),
                {"poll_id": poll_id, "sid": session_id, "position": position, "chat": GROUP_CHAT},
            )
        conn.execute(
            sa.text(
                """
                INSERT INTO participants (session_id, player_id, chat_id)
                SELECT :sid, :first + g, CASE WHEN :group THEN :chat ELSE :first + g END
                FROM generate_series(0, :players - 1) g
                """
            ),
            {
                "sid": session_id,
                "first": FIRST_PLAYER,
                "players": players,
                "group": mode == "group",
                "chat": GROUP_CHAT,
            },
        )
    return int(session_id)


def user(user_id: int, first_name: str = "Ada") -> dict[str, Any]:
    """A Telegram User object."""
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def checked(update: dict[str, Any]) -> dict[str, Any]:
    """``update`` after python-telegram-bot has accepted it as a real Update."""
    parsed = telegram.Update.de_json(update, None)
    assert parsed is not None and parsed.update_id == update["update_id"]
    return update


def press(
    data: str, user_id: int, *, chat_id: int = GROUP_CHAT, update_id: int | None = None
) -> dict[str, Any]:
    """A callback_query update: ``user_id`` pressed the button carrying ``data``."""
    chat = {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"}
    if chat_id < 0:
        chat["title"] = "Quiz night"
    return checked(
        {
            "update_id": update_id if update_id is not None else next_update_id(),
            "callback_query": {
                "id": str(next(_query_ids)),
                "from": user(user_id),
                "chat_instance": "-42",
                "data": data,
                "message": {
                    "message_id": 10,
                    "date": 1_700_000_000,
                    "chat": chat,
                    "from": {"id": 1, "is_bot": True, "first_name": "Quiz"},
                    "text": "Question 1?",
                },
            },
        }
    )


def command(text: str, user_id: int, *, chat_id: int | None = None) -> dict[str, Any]:
    """A message update carrying a command (private chat unless ``chat_id`` < 0)."""
    chat_id = user_id if chat_id is None else chat_id
    chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": "Ada"}
    if chat_id < 0:
        chat = {"id": chat_id, "type": "supergroup", "title": "Quiz night"}
    head = text.split(" ")[0]
    return checked(
        {
            "update_id": next_update_id(),
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": chat,
                "from": user(user_id),
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(head)}],
            },
        }
    )


def text_message(text: str, user_id: int) -> dict[str, Any]:
    """A message update with plain text (no command), in ``user_id``'s private chat."""
    return checked(
        {
            "update_id": next_update_id(),
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": user_id, "type": "private", "first_name": "Ada"},
                "from": user(user_id),
                "text": text,
            },
        }
    )


def post(
    client: httpx.Client, server: WebServer, update: dict[str, Any], secret: str = SECRET
) -> httpx.Response:
    """POST an update the way Telegram does."""
    return client.post(
        f"{server.url}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )


def send(client: httpx.Client, server: WebServer, update: dict[str, Any]) -> httpx.Response:
    """POST an update; it must get a 200."""
    response = post(client, server, update)
    assert response.status_code == 200, response.text
    return response


def replies(db: Engine, chat_id: int) -> list[dict[str, Any]]:
    """What the sender will deliver to ``chat_id``, in order."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT method, params, ref FROM outbox WHERE chat_id = :c ORDER BY id"),
            {"c": chat_id},
        )
        return [{"method": m, "ref": ref, **params} for m, params, ref in rows]


def answers(engine: Engine, session_id: int) -> list[tuple[int, int, int, bool]]:
    """(position, player, option, correct) of every stored answer of a session."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT position, player_id, option, correct FROM answers "
                "WHERE session_id = :s ORDER BY position, player_id"
            ),
            {"s": session_id},
        )
        return [(int(p), int(pl), int(o), bool(c)) for p, pl, o, c in rows]
