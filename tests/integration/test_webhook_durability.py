"""An acknowledged answer survives a PostgreSQL crash; while it is down, Telegram is told to retry.

This test crashes its own throwaway PostgreSQL (``pg_ctl stop -m immediate``:
no checkpoint, recovery from the WAL at restart), never the server the other
tests share. The web tier reaches it through its own real pgbouncer.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from quizbot.store import migrate
from quizbot.store.database import embedded_server, ensure_database, server_url, stop_embedded
from quizbot.store.pgbouncer import PgBouncer, find_binary
from tests.conftest import VAR, tools_required
from tests.integration.webtier import (
    FIRST_PLAYER,
    answers,
    open_question,
    post,
    press,
    seed_quiz,
    web_server,
)

LOCKED_IN = "✅ Answer locked in"


class Crashable:
    """An embedded PostgreSQL this test may crash and restart."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server: Any = embedded_server(data_dir)

    def url(self, database: str) -> str:
        return server_url(self.server, database)

    def crash(self) -> None:
        stop_embedded(self.data_dir, mode="immediate")

    def restart(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def crashable() -> Iterator[Crashable]:
    if find_binary() is None and not tools_required():
        pytest.skip("pgbouncer is not installed (not required outside CI and root)")
    data_dir = VAR / f"pgcrash-{uuid.uuid4().hex[:8]}"
    pg = Crashable(data_dir)
    try:
        yield pg
    finally:
        stop_embedded(data_dir, mode="immediate")
        shutil.rmtree(data_dir, ignore_errors=True)


def post_until_accepted(client: httpx.Client, server: Any, update: dict[str, Any]) -> list[int]:
    """POST like Telegram does: again after each non-2xx, for up to 60 s; the statuses seen."""
    statuses = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = post(client, server, update)
        statuses.append(response.status_code)
        if response.status_code == 200:
            assert response.json()["text"] == LOCKED_IN
            return statuses
        time.sleep(0.5)
    raise AssertionError(f"never accepted: {statuses}")


@pytest.mark.slow
def test_an_acknowledged_answer_survives_a_crash_and_the_down_time_gets_503s(
    crashable: Crashable, tmp_path: Path
) -> None:
    ensure_database(crashable.url("postgres"), "quizbot")
    migrate.upgrade(crashable.url("quizbot"))
    engine = sa.create_engine(crashable.url("quizbot"), poolclass=sa.NullPool)
    session_id = open_question(engine, seed_quiz(engine), players=3, deadline_s=600)
    bouncer = PgBouncer(
        server_url=crashable.url("postgres"), run_dir=tmp_path / "pgbouncer"
    ).start()
    try:
        with (
            web_server(bouncer.url("quizbot"), tmp_path) as server,
            httpx.Client(timeout=30) as client,
        ):
            before = post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
            assert before.status_code == 200 and before.json()["text"] == LOCKED_IN
            crashable.crash()  # right after the acknowledgement, with no checkpoint

            during = press(f"a:{session_id}:0:1", FIRST_PLAYER + 1)
            assert post(client, server, during).status_code == 503
            health = client.get(f"{server.url}/health")
            assert health.status_code == 503
            assert health.json()["checks"]["database"]["ok"] is False
            crashable.restart()
            statuses = post_until_accepted(client, server, during)
            assert set(statuses[:-1]) <= {503}
    finally:
        bouncer.stop()
    assert answers(engine, session_id) == [
        (0, FIRST_PLAYER, 0, True),
        (0, FIRST_PLAYER + 1, 1, False),
    ]
    with engine.connect() as conn:
        counted = conn.scalar(
            sa.text("SELECT answered_count FROM sessions WHERE id = :s"), {"s": session_id}
        )
    assert counted == 2
    engine.dispose()
