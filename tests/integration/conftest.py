"""What the web tier's integration modules share: one cloned database and one
production gunicorn per module (its tests share nothing else: each empties the
database first, see ``webtier.empty_database``), and an HTTP client.

A module that needs another server (other settings, a restart) defines its own
``server`` fixture, which takes precedence over this one.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.store.pgbouncer import PgBouncer
from tests.conftest import PgServer
from tests.integration.webtier import cloned_database, web_server


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
