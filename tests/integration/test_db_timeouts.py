"""Statement, lock and idle-in-transaction timeouts and keepalives reach every connection.

pgbouncer in transaction mode drops the clients' startup options, so the
timeouts reach pooled server connections through pgbouncer's connect_query and
direct connections through libpq options. Both are read back with SHOW, the
way an operator would check them. Then a stuck lock is caused for real: an
admin's open transaction holds a session row while its players answer.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import load_settings
from quizbot.store import direct
from quizbot.store.database import (
    create_engine,
    direct_session_url,
    libpq_dsn,
    resolve_urls,
    session_sql,
)
from quizbot.store.pgbouncer import PgBouncer
from quizbot.writer import sessions
from tests.conftest import PgServer
from tests.integration.webtier import (
    FIRST_PLAYER,
    answers,
    open_question,
    post,
    press,
    seed_quiz,
    web_server,
)

SHOW = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
DEFAULTS = {
    "statement_timeout": "5s",
    "lock_timeout": "2s",
    "idle_in_transaction_session_timeout": "1min",
}
LOCKED_IN = "✅ Answer locked in"


def _shown(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {name: str(conn.scalar(sa.text(f"SHOW {name}"))) for name in SHOW}


def _keepalives_idle(engine: Engine) -> str:
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        return str(dbapi.get_dsn_parameters()["keepalives_idle"])  # type: ignore[attr-defined]


def test_pooled_and_direct_connections_run_with_the_timeouts(
    pooled_url: str, db_url: str, tmp_path: Path
) -> None:
    settings = load_settings(
        {
            "DATABASE_URL": pooled_url,
            "DATABASE_DIRECT_URL": db_url,
            "QUIZBOT_VAR_DIR": str(tmp_path),
        }
    )
    urls = resolve_urls(settings)
    pooled = create_engine(urls.pooled, settings, application_name="test")
    direct = create_engine(urls.direct, settings, application_name="test")
    try:
        assert _shown(pooled) == DEFAULTS  # through pgbouncer: its connect_query
        assert _shown(direct) == DEFAULTS  # straight to PostgreSQL: libpq options
        assert _keepalives_idle(pooled) == _keepalives_idle(direct) == "30"
    finally:
        pooled.dispose()
        direct.dispose()


def test_the_configured_values_are_what_pgbouncer_and_libpq_apply(
    pg_server: PgServer, db_name: str, db_url: str, tmp_path: Path
) -> None:
    env = {
        "DB_STATEMENT_TIMEOUT_MS": "1234",
        "DB_LOCK_TIMEOUT_MS": "567",
        "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "0",
        "DB_KEEPALIVES_IDLE_S": "7",
        "QUIZBOT_VAR_DIR": str(tmp_path),
    }
    expected = {
        "statement_timeout": "1234ms",
        "lock_timeout": "567ms",
        "idle_in_transaction_session_timeout": "0",
    }
    bouncer = PgBouncer(
        server_url=pg_server.admin_url,
        run_dir=tmp_path / "pgbouncer",
        connect_query=session_sql(load_settings(env)),
        keep_log=tmp_path / "kept-pgbouncer.log",
    ).start()
    try:
        settings = load_settings(
            {**env, "DATABASE_URL": bouncer.url(db_name), "DATABASE_DIRECT_URL": db_url}
        )
        urls = resolve_urls(settings)
        for url in (urls.pooled, urls.direct):
            engine = create_engine(url, settings, application_name="test")
            try:
                assert _shown(engine) == expected
                assert _keepalives_idle(engine) == "7"
            finally:
                engine.dispose()
        # The LISTEN and sender-lock sessions, straight to PostgreSQL.
        session = direct.connect(libpq_dsn(direct_session_url(urls.direct, settings)), "test")
        try:
            with session.cursor() as cur:
                for name, value in expected.items():
                    cur.execute(f"SHOW {name}")
                    assert cur.fetchone() == (value,)
            assert session.get_dsn_parameters()["keepalives_idle"] == "7"
        finally:
            direct.close(session)
    finally:
        bouncer.stop()
    # The run's log outlives its temporary directory (a stack keeps it with its logs).
    assert "process up" in (tmp_path / "kept-pgbouncer.log").read_text()


def test_a_stuck_session_lock_costs_only_its_own_answers_a_bounded_wait(
    pooled_url: str, db_url: str, tmp_path: Path, engine: Engine
) -> None:
    quiz_id = seed_quiz(engine)
    stuck = open_question(engine, quiz_id, players=4)
    free = open_question(engine, quiz_id, players=4)
    admin = sa.create_engine(db_url, poolclass=sa.NullPool)
    with (
        web_server(pooled_url, tmp_path) as server,
        httpx.Client(timeout=30) as client,
        ThreadPoolExecutor(8) as pool,
        admin.connect() as held,
    ):
        # An admin's open transaction holds the session row: what a migration or a
        # forgotten psql session does. It outlives the whole exchange below.
        held.execute(sa.text("SELECT * FROM sessions WHERE id = :s FOR UPDATE"), {"s": stuck})

        def timed(update: dict[str, object]) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            reply = post(client, server, update)
            return reply, time.monotonic() - started

        presses = [press(f"a:{stuck}:0:0", FIRST_PLAYER + p) for p in range(4)]
        presses += [press(f"a:{free}:0:1", FIRST_PLAYER + p) for p in range(4)]
        results = list(pool.map(timed, presses))
        with engine.connect() as conn:
            # This database's waiters only: the server is shared with other tests.
            waiting = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE NOT l.granted AND a.datname = current_database()"
                )
            )
        held.rollback()
        # Telegram delivers the refused ones again once the lock is gone.
        retried = [post(client, server, update) for update in presses[:4]]
    on_stuck, on_free = results[:4], results[4:]
    # lock_timeout is 2 s: one wait, or two for a batch that met the lock
    # again on its second try; never the 10 s commit watchdog.
    assert [reply.status_code for reply, _ in on_stuck] == [503] * 4
    assert max(elapsed for _, elapsed in on_stuck) < 7.0
    assert [(r.status_code, r.text) for r, _ in on_free] == [(200, r.text) for r, _ in on_free]
    assert [reply.json()["text"] for reply, _ in on_free] == [LOCKED_IN] * 4
    assert max(elapsed for _, elapsed in on_free) < 7.0
    assert waiting == 0  # the waiting statements were cancelled, not left behind
    assert [reply.json()["text"] for reply in retried] == [LOCKED_IN] * 4
    assert len(answers(engine, free)) == 4
    assert len(answers(engine, stuck)) == 4
    admin.dispose()


def test_the_writers_transaction_gets_its_own_statement_timeout_and_gives_it_back(
    pooled_url: str,
) -> None:
    # A finish writes every player's results in one transaction: the writer lifts
    # its statement timeout for that transaction only, through pgbouncer too.
    engine = sa.create_engine(pooled_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            sessions.set_statement_timeout(conn, 60_000)
            assert conn.scalar(sa.text("SHOW statement_timeout")) == "1min"
            conn.rollback()
            assert conn.scalar(sa.text("SHOW statement_timeout")) == DEFAULTS["statement_timeout"]
    finally:
        engine.dispose()
