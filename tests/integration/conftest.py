"""What the web tier's integration modules share: one cloned database and one
production gunicorn per module (its tests share nothing else: each empties the
database first, see ``webtier.empty_database``), and an HTTP client.

A module that needs another server (other settings, a restart) defines its own
``server`` fixture, which takes precedence over this one; a test that needs a
server on its own database takes ``own_server``. Tests that drive the fake
Telegram take ``sim`` (their own) and its ``control`` client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.client import SimClient
from quizbot.store.pgbouncer import PgBouncer
from tests.conftest import PgServer
from tests.integration.webtier import cloned_database, empty_database, web_server


@pytest.fixture(scope="module")
def web_db(pg_server: PgServer, template_db: str) -> Iterator[str]:
    with cloned_database(pg_server.admin_url, template_db) as name:
        yield name


@pytest.fixture(scope="module")
def db(pg_server: PgServer, web_db: str) -> Iterator[Engine]:
    engine = sa.create_engine(pg_server.url(web_db))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def server(
    db: Engine, web_db: str, pgbouncer: PgBouncer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    with web_server(pgbouncer.url(web_db), tmp_path_factory.mktemp("web")) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as http:
        yield http


@pytest.fixture
def fresh_database(db: Engine) -> None:
    """Empty the module's database: for a module whose tests share one web server and
    nothing else (``pytestmark = pytest.mark.usefixtures("fresh_database")``)."""
    empty_database(db)


@pytest.fixture
def own_server(engine: Engine, pooled_url: str, tmp_path: Path) -> Iterator[WebServer]:
    """A web server of this test's own, on its own database (``engine``, ``settings``)."""
    with web_server(pooled_url, tmp_path) as running:
        yield running


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    """A fake Bot API of this test's own, flood limits off."""
    running = start_in_thread(SimConfig(limits=False))
    yield running
    running.stop()


@pytest.fixture
def control(sim: RunningSim) -> Iterator[SimClient]:
    """The control client of this test's simulator: its users, chats and faults."""
    with SimClient(sim.url, timeout=30) as client:
        yield client
