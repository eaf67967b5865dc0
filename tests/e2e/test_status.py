"""``quizbot status --json`` against a running stack while simulated players answer."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from quizbot.settings import load_settings
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack
from tests.conftest import PgServer

ENV = {"REVEAL_PAUSE_S": "1", "PER_GROUP_PER_MIN": "600", "SEND_RATE_PER_S": "30"}
# Long think times and a long quiz keep answers flowing while status is polled.
OPTIONS = LiveOptions(
    players=40, mode="group", quiz="space", think_min_s=0.2, think_max_s=4.0, timeout_s=240
)


def _status(stack: LocalStack) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "quizbot.cli", "status", "--json"],
        capture_output=True,
        timeout=60,
        env={"QUIZBOT_ENV_FILE": str(stack.layout.env_file), "PATH": "/usr/bin:/bin"},
        cwd=stack.layout.root,
    )
    assert done.returncode == 0, done.stderr.decode()
    return dict(orjson.loads(done.stdout))


@pytest.fixture
def playing(tmp_path: Path, pg_server: PgServer) -> Iterator[LocalStack]:
    settings = load_settings(
        {"QUIZBOT_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": pg_server.admin_url}
    )
    stack = LocalStack(
        settings,
        tmp_path / "run",
        players_args=OPTIONS.swarm_args(),
        env=ENV,
        sim_api_args="--group-per-min 600",
    )
    stack.start()

    def play() -> None:
        # The quiz is cut short at teardown; its report is not what these tests check.
        with contextlib.suppress(RuntimeError):
            play_live(stack, OPTIONS)

    runner = threading.Thread(target=play, daemon=True)
    try:
        runner.start()
        yield stack
    finally:
        stack.ctl("stop", "simulator:players")
        runner.join(60)
        stack.stop()


def test_status_reports_answers_per_second_and_program_states_of_a_live_quiz(
    playing: LocalStack,
) -> None:
    deadline = time.monotonic() + 120
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = _status(playing)
        if seen["answers_per_s"].get("value"):
            break
        time.sleep(1)
    assert seen["answers_per_s"]["value"] > 0, seen
    assert seen["answers_per_s"]["source"].startswith("postgresql")
    programs = seen["programs"]
    assert programs["source"] == "supervisor"
    for name in ("quizbot:web", "quizbot:sender", "quizbot:writer", "simulator:players"):
        assert programs["value"][name] == "RUNNING", programs
    assert seen["live_sessions"]["value"]["total"] == 1
    assert seen["live_sessions"]["value"]["players"] >= 1
    assert seen["outbox"]["value"]["pending"] >= 0
    assert seen["replica_lag_s"]["value"] == "no replica"
    if playing.pgbouncer is not None:
        pools = seen["pgbouncer_pools"]["value"]
        assert any(p["database"] == playing.database_name() for p in pools), pools

    assert "stopped" in playing.ctl("stop", "quizbot:sender").stdout
    assert _status(playing)["programs"]["value"]["quizbot:sender"] == "STOPPED"


def test_status_without_supervisor_access_still_shows_the_database_figures(
    playing: LocalStack, tmp_path: Path
) -> None:
    env_file = tmp_path / "no-supervisor.env"
    env_file.write_text(
        playing.layout.env_file.read_text() + f"SUPERVISOR_URL=unix://{tmp_path}/no-such.sock\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "quizbot.cli", "status", "--json"],
        capture_output=True,
        timeout=60,
        env={"QUIZBOT_ENV_FILE": str(env_file), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr.decode()
    seen = orjson.loads(done.stdout)
    assert "error" in seen["programs"] and seen["programs"]["source"] == "supervisor"
    assert seen["outbox"]["source"] == "postgresql" and "value" in seen["outbox"]
    assert seen["live_sessions"]["value"]["total"] >= 0
