"""The stack every e2e game runs on: supervisord from the real config files, one quiz.

``started`` takes the game's :class:`LiveOptions` as its indirect parameter,
renders and starts the stack with those swarm options, imports the quiz, and
after the test checks that no process outlived supervisord.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizbot.settings import load_settings
from quizbot.stack.live import LiveOptions
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import import_quiz, load_quiz_file
from tests.conftest import PgServer

QUIZ = """
title: E2E mini
slug: e2e-mini
time_limit: 6
questions:
  - question: Two plus two?
    options: ["3", "4", "5"]
    correct: 2
  - question: The largest planet?
    options: [Mars, Jupiter, Venus, Mercury]
    correct: 2
  - question: Water boils at sea level at (°C)
    options: ["90", "100", "110"]
    correct: 2
  - question: How many continents?
    options: ["5", "6", "7"]
    correct: 3
"""

# Fast clocks for the test, and a group limit the sender and the fake API agree on,
# so a 4-question group quiz is not paced at Telegram's 20 messages/minute.
ENV = {"REVEAL_PAUSE_S": "1", "PER_GROUP_PER_MIN": "600", "SEND_RATE_PER_S": "30"}
SIM_ARGS = "--group-per-min 600"


def _stack(
    tmp_path: Path,
    options: LiveOptions,
    quiz_file: Path,
    server: PgServer,
    env: dict[str, str] | None = None,
) -> LocalStack:
    # The test server (embedded, or $DATABASE_URL's); the stack makes its own database there.
    settings = load_settings(
        {"QUIZBOT_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": server.admin_url}
    )
    args = f"{options.swarm_args()} --answers {quiz_file}"
    return LocalStack(
        settings,
        tmp_path / "run",
        players_args=args,
        env={**ENV, **(env or {})},
        sim_api_args=SIM_ARGS,
    )


@pytest.fixture
def quiz_file(tmp_path: Path) -> Path:
    path = tmp_path / "e2e-mini.yaml"
    path.write_text(QUIZ)
    return path


@contextmanager
def running(stack: LocalStack) -> Iterator[LocalStack]:
    """The stack started; when it stops, no process may outlive supervisord."""
    stack.start()
    try:
        yield stack
    finally:
        pids = [pid for group in stack.program_pids().values() for pid in group]
        orphans = stack.stop()
        assert orphans == [], f"processes outlived supervisord: {orphans}"
        assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


@pytest.fixture
def started(
    tmp_path: Path, quiz_file: Path, pg_server: PgServer, request: pytest.FixtureRequest
) -> Iterator[LocalStack]:
    options: LiveOptions = request.param
    with running(_stack(tmp_path, options, quiz_file, pg_server)) as stack:
        engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            import_quiz(conn, load_quiz_file(quiz_file))
        engine.dispose()
        yield stack


def set_webhook(stack: LocalStack) -> None:
    """The operator's command: the webhook (the simulator delivers to it) and the menus."""
    env = {
        **os.environ,
        "QUIZBOT_ENV_FILE": str(stack.layout.env_file),
        "WEBHOOK_PUBLIC_URL": f"{stack.web_url}/telegram/webhook",
    }
    env.pop("WEBHOOK_SECRET", None)
    done = subprocess.run(
        [sys.executable, "-m", "quizbot.cli", "set-webhook"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
