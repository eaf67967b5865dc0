"""Where the database is, and the per-process engine that talks to it.

With ``DATABASE_URL`` unset, every command uses an embedded PostgreSQL from the
``pgserver`` package, its data under ``$QUIZBOT_VAR_DIR/pgdata``, so a fresh
machine needs no database install. The embedded server listens on a Unix socket
only and stays up between commands; ``quizbot db stop`` stops it.

The engine is built per process (never at import time: gunicorn forks after
import) and sized for pgbouncer's transaction pooling: a small pool, no
session state that would leak between transactions, no server-side prepared
statements (psycopg2 uses none).

Every engine's connections carry the same limits (docs/architecture.md,
"Timeouts"): statement, lock and idle-in-transaction timeouts, and TCP
keepalives. Direct connections send the timeouts as libpq ``options``;
pgbouncer in transaction mode drops startup options, so it applies them to each
server connection it opens with its ``connect_query`` (:func:`session_sql`).
Maintenance (migrations, restores) connects from the bare URLs.
"""

from __future__ import annotations

import atexit
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2.errors
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url

from quizbot.extras import import_extra
from quizbot.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "quizbot"


@dataclass(frozen=True)
class DatabaseUrls:
    """The pooled URL every program uses, and the direct one LISTEN needs.

    LISTEN/NOTIFY cannot pass pgbouncer in transaction mode (the listening
    session would be handed to other clients), so listeners connect straight
    to PostgreSQL through ``direct``.
    """

    pooled: str
    direct: str
    embedded: bool


def _pgserver() -> Any:
    # Imported lazily: it reads platform dirs at import, and a production
    # install (DATABASE_URL set) leaves it out.
    # pgserver asks platformdirs for a runtime dir and warns when XDG_RUNTIME_DIR is unset.
    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    return import_extra("pgserver", "embedded", "the embedded PostgreSQL (DATABASE_URL unset)")


def embedded_server(data_dir: Path, *, stop_at_exit: bool = False) -> Any:
    """Start (or reuse) the embedded PostgreSQL whose data lives in ``data_dir``.

    With ``stop_at_exit`` the server stops when the last process that asked for it
    exits; otherwise it keeps running for later commands.
    """
    pgserver = _pgserver()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(data_dir, cleanup_mode="stop" if stop_at_exit else None)


def stop_embedded(data_dir: Path, *, mode: str = "fast") -> bool:
    """Stop the embedded PostgreSQL in ``data_dir``; False when it was not running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    _pgserver()
    from pgserver import _commands

    # pgserver caches one handle per data dir and would hand back the stopped
    # server's; forget it so the next embedded_server() starts it again.
    from pgserver.postgres_server import PostgresServer

    stale = PostgresServer._instances.pop(data_dir.expanduser().resolve(), None)
    if stale is not None:
        atexit.unregister(stale._cleanup)
    user = "pgserver" if os.geteuid() == 0 else None
    _commands.pg_ctl(  # type: ignore[attr-defined]
        ["-w", "-m", mode, "stop"], pgdata=data_dir, user=user, timeout=60
    )
    return True


def server_url(server: Any, database: str = "postgres") -> str:
    """A SQLAlchemy URL (psycopg2) for a database of an embedded server."""
    info = server.get_postmaster_info()
    return str(
        URL.create(
            "postgresql+psycopg2",
            username="postgres",
            database=database,
            query={"host": str(info.socket_dir), "port": str(info.port)},
        )
    )


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server behind ``admin_url`` unless it exists."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def session_parameters(settings: Settings) -> dict[str, str]:
    """The server settings every session runs with (milliseconds; 0 is off)."""
    return {
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "lock_timeout": str(settings.db_lock_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms),
    }


def session_sql(settings: Settings) -> str:
    """:func:`session_parameters` as SET statements, for pgbouncer's ``connect_query``."""
    return "; ".join(f"SET {k} = {v}" for k, v in session_parameters(settings).items())


def connect_parameters(settings: Settings) -> dict[str, str]:
    """libpq keywords for every connection: keepalives, and the session settings as options."""
    options = " ".join(f"-c {k}={v}" for k, v in session_parameters(settings).items())
    return {
        "keepalives": "1",
        "keepalives_idle": str(settings.db_keepalives_idle_s),
        "keepalives_interval": str(settings.db_keepalives_interval_s),
        "keepalives_count": str(settings.db_keepalives_count),
        "options": options,
    }


def resolve_urls(settings: Settings) -> DatabaseUrls:
    """The database URLs for this process: configured, or the embedded server's."""
    if settings.database_url:
        pooled = normalize_url(settings.database_url)
        direct = normalize_url(settings.database_direct_url or settings.database_url)
        return DatabaseUrls(pooled=pooled, direct=direct, embedded=False)
    server = embedded_server(Path(settings.quizbot_var_dir) / "pgdata")
    ensure_database(server_url(server), EMBEDDED_DB_NAME)
    url = server_url(server, EMBEDDED_DB_NAME)
    return DatabaseUrls(pooled=url, direct=url, embedded=True)


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use the psycopg2 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def direct_session_url(url: str, settings: Settings) -> str:
    """``url`` carrying :func:`connect_parameters` (a value the URL sets wins).

    For the sessions that connect straight to PostgreSQL (LISTEN, the sender
    lock): the same keepalives and session timeouts as every pooled connection.
    """
    parsed = make_url(url)
    extra = {k: v for k, v in connect_parameters(settings).items() if k not in parsed.query}
    return parsed.update_query_dict(extra).render_as_string(hide_password=False)


def libpq_dsn(url: str) -> str:
    """A libpq connection string for raw psycopg2 connections (LISTEN, COPY).

    The URL's query parameters (keepalives, options) come along, quoted for libpq.
    """
    parsed = make_url(url)
    parts: dict[str, Any] = {
        **{k: v for k, v in parsed.query.items() if isinstance(v, str)},
        "host": parsed.host or parsed.query.get("host"),
        "port": parsed.port or parsed.query.get("port"),
        "dbname": parsed.database,
        "user": parsed.username,
        "password": parsed.password,
    }
    return " ".join(f"{k}={_libpq_quote(str(v))}" for k, v in parts.items() if v)


def _libpq_quote(value: str) -> str:
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# SQLSTATEs of a statement cancelled by lock_timeout or statement_timeout: the
# database is up, but something holds what the statement needs.
_STUCK = (psycopg2.errors.LockNotAvailable, psycopg2.errors.QueryCanceled)


def is_stuck(exc: BaseException) -> bool:
    """Whether ``exc`` is a statement cancelled by ``lock_timeout`` or ``statement_timeout``."""
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    return isinstance(orig, _STUCK)


def is_poison(exc: BaseException) -> bool:
    """Whether the database refused ``exc``'s statement for the data it carries.

    psycopg2's DataError (SQLSTATE class 22: out of range, bad encoding) and
    IntegrityError (class 23: a constraint): the same rows fail every time.
    """
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    return isinstance(orig, psycopg2.DataError | psycopg2.IntegrityError)


def describe_error(exc: BaseException) -> str:
    """A log-safe name for a database error: its class and SQLSTATE, never its message.

    Messages quote the values that failed (``invalid input syntax ...: "<value>"``),
    and values come from users.
    """
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    code = getattr(orig, "pgcode", None)
    return f"{type(orig).__name__} ({code})" if code else type(orig).__name__


def create_engine(url: str, settings: Settings, *, application_name: str, **kw: Any) -> Engine:
    """The engine for one process.

    Sized for pgbouncer transaction pooling: pgbouncer multiplexes many client
    connections onto a few server connections, so each process keeps a small
    pool. ``pool_pre_ping`` lets a process survive a PostgreSQL restart: a dead
    pooled connection is replaced instead of failing the next request.
    Every connection carries :func:`connect_parameters`.
    """
    parsed = make_url(url)
    options = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_pre_ping": True,
        "pool_recycle": 1800,
        "connect_args": {
            # Keepalives and the session timeouts; a value the URL sets wins.
            **{k: v for k, v in connect_parameters(settings).items() if k not in parsed.query},
            "application_name": application_name[:63],
            "connect_timeout": 5,
        },
    }
    options.update(kw)
    if options.get("poolclass") is sa.NullPool:
        # One-shot commands (the CLI) keep no pool at all.
        for key in ("pool_size", "max_overflow", "pool_recycle"):
            options.pop(key)
    return sa.create_engine(url, **options)


def process_tag(role: str) -> str:
    """An application_name for pg_stat_activity: role and pid."""
    return f"quizbot-{role}-{os.getpid()}"


def engine_for(settings: Settings, role: str, **kw: Any) -> tuple[Engine, DatabaseUrls]:
    """Resolve this process's database and build its engine, tagged with ``role``."""
    urls = resolve_urls(settings)
    return create_engine(urls.pooled, settings, application_name=process_tag(role), **kw), urls
