"""The database side of ``quizbot bench ingest``: where its synthetic game lives.

:class:`Scratch` makes a throwaway database on the configured (or embedded)
server, with a private pgbouncer in front when one is installed; it is dropped
afterwards. :class:`Configured` uses the configured database itself, for a
server started elsewhere (``--url``), and removes what it seeded.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quizbot.bench.sessions import synthetic_quiz
from quizbot.procstat import database_backends
from quizbot.settings import Settings
from quizbot.store import migrate
from quizbot.store.database import resolve_urls
from quizbot.store.pgbouncer import PgBouncer, find_binary
from quizbot.store.quizzes import import_quiz

CHAT_ID = -1_002_000_000_000
FIRST_PLAYER = 10_000_000

_SEED_SESSION = sa.text(
    """
    INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, position, question_count,
                          opened_at, deadline, participant_count, started_at)
    VALUES (:quiz_id, 'group', 'question', :chat_id, :first, 0, 1, now(),
            now() + interval '1 hour', :players, now())
    RETURNING id
    """
)
_SEED_PARTICIPANTS = sa.text(
    """
    INSERT INTO participants (session_id, player_id, chat_id)
    SELECT :session_id, :first + g, :chat_id FROM generate_series(0, :players - 1) AS g
    """
)
_RECORDED = sa.text(
    "SELECT count(*) FROM answers WHERE session_id = :session_id AND player_id >= :first"
)


class Scratch:
    """A scratch database (and pgbouncer) on the configured or embedded server."""

    def __init__(self, settings: Settings, work_dir: Path, purpose: str = "ingest") -> None:
        urls = resolve_urls(settings)
        self.name = f"quizbot_bench_{purpose}_{uuid.uuid4().hex[:8]}"
        self.admin_url = make_url(urls.direct).set(database="postgres")
        self.direct_url = self.admin_url.set(database=self.name).render_as_string(False)
        self.work_dir = work_dir
        self.bouncer: PgBouncer | None = None

    def __enter__(self) -> Scratch:
        admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        migrate.upgrade(self.direct_url)
        if find_binary() is not None:
            url = self.admin_url
            self.bouncer = PgBouncer(
                server_url=url.render_as_string(False),
                run_dir=self.work_dir / "pgbouncer",
                user=url.username or "postgres",
                password=url.password or "quizbot-local",
            ).start()
        return self

    def server_pids(self) -> list[int]:
        """The processes that serve the scratch database: its backends and pgbouncer."""
        pids = database_backends(self.name)
        if self.bouncer is not None and self.bouncer.process is not None:
            pids.append(self.bouncer.process.pid)
        return pids

    @property
    def pooled_url(self) -> str:
        """The URL the web tier uses: through pgbouncer when there is one."""
        return self.bouncer.url(self.name) if self.bouncer else self.direct_url

    def __exit__(self, *exc: object) -> None:
        if self.bouncer is not None:
            self.bouncer.stop()
        admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


class Configured:
    """The configured database itself, for ``--url``: the server there must use it too.

    The synthetic quiz and session are deleted again after each phase.
    """

    def __init__(self, settings: Settings, work_dir: Path) -> None:
        self.direct_url = resolve_urls(settings).direct
        self.pooled_url = self.direct_url
        self.work_dir = work_dir
        self.bouncer: PgBouncer | None = None

    def server_pids(self) -> list[int]:
        """Shared with everything else using the database: not attributable."""
        return []

    def __enter__(self) -> Configured:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_CLEANUP = tuple(
    sa.text(sql)
    for sql in (
        "DELETE FROM answers WHERE session_id = :session_id",
        "DELETE FROM participants WHERE session_id = :session_id",
        "DELETE FROM processed_updates WHERE update_id BETWEEN :first AND :last",
        "DELETE FROM outbox WHERE session_id = :session_id",
    )
)
_DROP_SESSION = sa.text("DELETE FROM sessions WHERE id = :session_id RETURNING quiz_id")
_DROP_QUIZ = sa.text("DELETE FROM quizzes WHERE id = :quiz_id")  # questions cascade


def cleanup(direct_url: str, session_id: int, first_update: int, last_update: int) -> None:
    """Remove a phase's synthetic session, its answers and its quiz."""
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    params = {"session_id": session_id, "first": first_update, "last": last_update}
    with engine.begin() as conn:
        for statement in _CLEANUP:
            conn.execute(statement, params)
        quiz_id = conn.execute(_DROP_SESSION, params).scalar()
        if quiz_id is not None:
            conn.execute(_DROP_QUIZ, {"quiz_id": quiz_id})
    engine.dispose()


def seed(direct_url: str, players: int) -> int:
    """A group session with ``players`` participants and its only question open for an hour."""
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        quiz = synthetic_quiz(1, time_limit_s=600, slug=f"bench-ingest-{uuid.uuid4().hex[:6]}")
        quiz_id = import_quiz(conn, quiz).quiz_id
        session_id = int(
            conn.execute(
                _SEED_SESSION,
                {"quiz_id": quiz_id, "chat_id": CHAT_ID, "first": FIRST_PLAYER, "players": players},
            ).scalar_one()
        )
        conn.execute(
            _SEED_PARTICIPANTS,
            {
                "session_id": session_id,
                "first": FIRST_PLAYER,
                "players": players,
                "chat_id": CHAT_ID,
            },
        )
    engine.dispose()
    return session_id


def recorded(direct_url: str, session_id: int, first_player: int) -> int:
    """Answers stored for the session by players from ``first_player`` on."""
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        params = {"session_id": session_id, "first": first_player}
        count = int(conn.scalar(_RECORDED, params) or 0)
    engine.dispose()
    return count
