"""The test harness: real PostgreSQL, real pgbouncer, a statsd listener.

PostgreSQL is ``DATABASE_URL`` when set (its server is used to create test
databases), otherwise an embedded server under ``.var/pgtest``. The schema is
built once into a template database and cloned per test. pgbouncer runs in
transaction mode in front of it when the binary is installed; in CI or as
root its absence is a failure, not a skip.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from quizbot.settings import Settings, load_settings
from quizbot.store import migrate
from quizbot.store.database import embedded_server, server_url
from quizbot.store.pgbouncer import PgBouncer, find_binary

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / ".var"


def _admin_engine(url: str) -> Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


@dataclass
class PgServer:
    """A PostgreSQL server the tests may create databases on."""

    admin_url: str
    embedded: bool

    def url(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)


def _schema_fingerprint() -> str:
    migrations = Path(migrate.__file__).parent / "migrations" / "versions"
    digest = hashlib.sha256()
    for path in sorted(migrations.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        from quizbot.store.database import normalize_url

        yield PgServer(admin_url=normalize_url(configured), embedded=False)
        return
    server = embedded_server(VAR / "pgtest", stop_at_exit=True)
    yield PgServer(admin_url=server_url(server), embedded=True)


@pytest.fixture(scope="session")
def template_db(pg_server: PgServer) -> str:
    """A database migrated to head, built once per schema version, to clone per test."""
    name = f"quizbot_tpl_{_schema_fingerprint()}"
    admin = _admin_engine(pg_server.admin_url)
    with admin.connect() as conn:
        # Several pytest processes may share one server: build the template once.
        conn.execute(sa.text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": name})
        try:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n AND datistemplate"),
                {"n": name},
            )
            if not exists:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                migrate.upgrade(pg_server.url(name))
                conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true'))
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": name})
    admin.dispose()
    return name


@pytest.fixture
def db_name(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """A fresh database, cloned from the template, dropped after the test."""
    name = f"quizbot_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(pg_server.admin_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(pg_server: PgServer, db_name: str) -> str:
    """A direct SQLAlchemy URL of this test's database."""
    return pg_server.url(db_name)


def tools_required() -> bool:
    """In CI, or as root (where .ci/run installs them), a missing pgbouncer or promtool
    fails the tests; elsewhere the tests that need one are skipped, saying so."""
    return bool(os.environ.get("CI")) or os.geteuid() == 0


def require_tool(path: str | None, name: str, package: str) -> str:
    """``path`` of a system tool, or a failure (CI, root) or a plain skip when it is missing."""
    if path is None:
        if tools_required():
            pytest.fail(f"{name} is not installed; .ci/run installs it (apt-get install {package})")
        pytest.skip(f"{name} is not installed (not required outside CI and root)")
    return path


@pytest.fixture(scope="session")
def pgbouncer(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgBouncer]:
    """A real pgbouncer in transaction mode in front of the test server."""
    require_tool(find_binary(), "pgbouncer", "pgbouncer")
    bouncer = PgBouncer(
        server_url=pg_server.admin_url, run_dir=tmp_path_factory.mktemp("pgbouncer")
    )
    bouncer.start()
    yield bouncer
    bouncer.stop()


@pytest.fixture
def pooled_url(pgbouncer: PgBouncer, db_name: str) -> str:
    """This test's database through pgbouncer."""
    return pgbouncer.url(db_name)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at this test's database, with test-friendly values."""
    return load_settings(
        {
            "DATABASE_URL": db_url,
            "QUIZBOT_VAR_DIR": str(tmp_path / "var"),
            "WEBHOOK_SECRET": "test-secret",
            "TELEGRAM_BOT_TOKEN": "123456:TEST",
            "BOT_USERNAME": "quizbot_test_bot",
        }
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on this test's database (direct, no pool sharing between tests)."""
    eng = sa.create_engine(db_url, pool_size=5, max_overflow=5)
    yield eng
    eng.dispose()


@dataclass
class StatsdListener:
    """A UDP socket that collects statsd packets, one metric line per entry."""

    port: int
    lines: list[str] = field(default_factory=list)
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def names(self) -> set[str]:
        return {line.split(":", 1)[0] for line in self.lines}

    def wait_for(self, prefix: str, timeout: float = 5.0) -> list[str]:
        """Every line whose metric name starts with ``prefix``, waiting until one arrives."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.lines) if line.startswith(prefix)]
            if found:
                return found
            time.sleep(0.02)
        return []


@pytest.fixture
def statsd() -> Iterator[StatsdListener]:
    """A statsd receiver on 127.0.0.1; point STATSD_PORT at ``statsd.port``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    listener = StatsdListener(port=sock.getsockname()[1], _sock=sock)

    def receive() -> None:
        while not listener._stop.is_set():
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            listener.lines.extend(line for line in data.decode().splitlines() if line)

    thread = threading.Thread(target=receive, name="statsd-listener", daemon=True)
    thread.start()
    yield listener
    listener._stop.set()
    thread.join(1)
    sock.close()
