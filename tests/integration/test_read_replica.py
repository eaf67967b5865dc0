"""The read-only pages on a real streaming standby: fresh replica, lagging replica, no replica.

A row that exists only on the replica is impossible, so the tests show where a
read came from by making the replica stale: replay is paused on the standby, a
score changes on the primary, and ``/top`` keeps showing the old score until
the lag passes ``READ_MAX_LAG_S``; from then on it shows the primary's answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain.scoring import ScoringRules
from quizbot.domain.session import Status
from quizbot.store import migrate, results
from quizbot.store.pgbouncer import PgBouncer, find_binary
from tests.conftest import require_tool
from tests.integration.standby import StreamingPair, basebackup_binary
from tests.integration.webtier import (
    FIRST_PLAYER,
    command,
    open_question,
    post,
    press,
    seed_quiz,
    web_server,
)

PLAYER = 8101
MAX_LAG_S = 5.0


@pytest.fixture
def pair() -> Iterator[StreamingPair]:
    """A primary with the schema and one scored player, and its caught-up standby."""
    require_tool(find_binary(), "pgbouncer", "pgbouncer")
    require_tool(basebackup_binary(), "pg_basebackup", "postgresql-15")
    streaming = StreamingPair().start()
    try:
        streaming.primary.scalar("CREATE DATABASE quizbot")
        migrate.upgrade(streaming.primary.url("quizbot"))
        _set_score(streaming.primary.url("quizbot"), 420)
        streaming.wait_replayed()
        yield streaming
    finally:
        streaming.stop()


@pytest.fixture
def bouncer(pair: StreamingPair, tmp_path: Path) -> Iterator[PgBouncer]:
    """pgbouncer in front of the primary, as every program reaches it."""
    running = PgBouncer(server_url=pair.primary.url(), run_dir=tmp_path / "pgbouncer").start()
    yield running
    running.stop()


@pytest.fixture
def web(pair: StreamingPair, bouncer: PgBouncer, tmp_path: Path) -> Iterator[WebServer]:
    """The production web tier: writes through pgbouncer to the primary, reads on the standby."""
    with web_server(
        bouncer.url("quizbot"),
        tmp_path,
        DATABASE_READ_URL=pair.standby.url("quizbot"),
        READ_MAX_LAG_S=str(MAX_LAG_S),
    ) as server:
        yield server


@pytest.fixture
def writer(pair: StreamingPair, bouncer: PgBouncer, tmp_path: Path) -> Iterator[None]:
    """The real writer daemon on the primary: its program_status row is the heartbeat."""
    env = {
        **os.environ,
        "DATABASE_URL": bouncer.url("quizbot"),
        "DATABASE_DIRECT_URL": pair.primary.url("quizbot"),
        "QUIZBOT_VAR_DIR": str(tmp_path / "var"),
        "QUIZBOT_ENV_FILE": "",
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "writer.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from quizbot.writer.main import main; main()"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not pair.standby.scalar(
            "SELECT count(*) FROM program_status WHERE program = 'writer'", "quizbot"
        ):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no writer heartbeat on the replica in 30 s"
            time.sleep(0.2)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        assert code == 0, log.read_text()[-3000:]


@pytest.fixture
def primary(pair: StreamingPair) -> Iterator[Engine]:
    engine = sa.create_engine(pair.primary.url("quizbot"), poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def _set_score(url: str, score: int) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO players (id, first_name, score_total) VALUES (:p, 'Grace', :s) "
                "ON CONFLICT (id) DO UPDATE SET score_total = :s"
            ),
            {"p": PLAYER, "s": score},
        )
    engine.dispose()


def top(client: httpx.Client, server: WebServer, primary: Engine) -> str:
    """Send /top in the player's private chat and return the reply the bot queued."""
    response = post(client, server, command("/top", PLAYER))
    assert response.status_code == 200, response.text
    with primary.connect() as conn:
        text = conn.scalar(
            sa.text("SELECT params->>'text' FROM outbox WHERE chat_id = :c ORDER BY id DESC"),
            {"c": PLAYER},
        )
    assert text is not None and "Top players" in text
    return str(text)


def stats(client: httpx.Client, server: WebServer) -> dict[str, Any]:
    response = client.get(f"{server.url}/monitoring/stats")
    assert response.status_code == 200, response.text
    reads: dict[str, Any] = response.json()["reads"]
    return reads


def test_with_no_writer_heartbeat_an_idle_primary_keeps_the_replica_fresh(
    pair: StreamingPair, web: WebServer
) -> None:
    # Nothing is written for longer than the bound: a standby that replayed all it
    # received is 0 s behind, however old the last commit.
    time.sleep(MAX_LAG_S + 1.5)
    with httpx.Client(timeout=15) as client:
        reads = stats(client, web)
    assert reads["source"] == "replica", reads
    assert reads["replica"]["lag_s"] == 0.0, reads


def test_with_the_writer_heartbeat_an_idle_game_keeps_the_replica_fresh(
    pair: StreamingPair, writer: None, web: WebServer
) -> None:
    # No game traffic for longer than the bound: the heartbeat keeps the lag near 1 s.
    time.sleep(MAX_LAG_S + 1.5)
    with httpx.Client(timeout=15) as client:
        reads = stats(client, web)
    assert reads["source"] == "replica", reads
    assert reads["replica"]["lag_s"] < MAX_LAG_S / 2, reads


def test_top_reads_the_replica_until_its_lag_passes_the_bound_then_the_primary(
    pair: StreamingPair, writer: None, web: WebServer, primary: Engine
) -> None:
    with httpx.Client(timeout=15) as client:
        assert "420 pts" in top(client, web, primary)
        pair.pause_replay()
        paused_at = time.monotonic()
        _set_score(pair.primary.url("quizbot"), 999)

        # The replica has not applied the new score: /top shows the old one, so it read there.
        stale = top(client, web, primary)
        assert "420 pts" in stale, f"{time.monotonic() - paused_at:.1f} s after the pause"

        # Once the lag passes READ_MAX_LAG_S, /top answers from the primary.
        answers = []
        deadline = paused_at + MAX_LAG_S + 30
        while time.monotonic() < deadline:
            text = top(client, web, primary)
            answers.append((round(time.monotonic() - paused_at, 1), "999 pts" in text))
            if answers[-1][1]:
                break
            time.sleep(0.5)
        assert answers and answers[-1][1], f"never the primary's answer: {answers}"
        switched_after = answers[-1][0]
        # Not before the replica's lag could have passed the bound (less the 1 s cache).
        assert switched_after >= MAX_LAG_S - 2, answers
        reads = stats(client, web)
        assert (
            reads["source"] == "primary" and "exceeds READ_MAX_LAG_S" in reads["replica"]["error"]
        ), reads

        # Replay resumes: the replica catches up and serves the reads again.
        pair.standby.scalar("SELECT pg_wal_replay_resume()")
        pair.wait_replayed()
        deadline = time.monotonic() + 30
        while stats(client, web)["source"] != "replica" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert stats(client, web)["source"] == "replica"
        assert "999 pts" in top(client, web, primary)


def test_reads_come_from_the_primary_when_the_replica_is_stopped(
    pair: StreamingPair, web: WebServer, primary: Engine
) -> None:
    with httpx.Client(timeout=15) as client:
        assert "420 pts" in top(client, web, primary)
        pair.standby.stop("immediate")
        _set_score(pair.primary.url("quizbot"), 999)
        started = time.monotonic()
        assert "999 pts" in top(client, web, primary)
        elapsed = time.monotonic() - started
        reads = stats(client, web)
    assert reads["source"] == "primary" and reads["replica"]["error"], reads
    # A refused connection costs no wait: the fallback answers at once.
    assert elapsed < 5.0, elapsed


def test_my_result_right_after_the_finish_is_confirmed_on_the_primary(
    pair: StreamingPair, web: WebServer, primary: Engine
) -> None:
    session_id = open_question(primary, seed_quiz(primary), players=3)
    _set_score(pair.primary.url("quizbot"), 421)  # the last commit the replica replays
    pair.wait_replayed()
    pair.pause_replay()
    with primary.begin() as conn:
        results.finish_session(conn, session_id, Status.FINISHED, datetime.now(UTC), ScoringRules())
    with httpx.Client(timeout=15) as client:
        update = press(f"r:{session_id}", FIRST_PLAYER)
        response = post(client, web, update)
        assert response.status_code == 200, response.text
        # The fresh replica has no results yet; the toast is the primary's, not "not in yet".
        assert response.json()["text"].startswith("📊 Your result: 0 pts"), response.json()
        reads = stats(client, web)
    assert reads["source"] == "replica", reads
