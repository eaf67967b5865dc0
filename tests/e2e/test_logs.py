"""The programs' logs of a whole live quiz with LOG_FORMAT=json: one JSON object per
line, and no secret or player text in any of them."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from quizbot.settings import load_settings
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import SIM_TOKEN, LocalStack
from quizbot.store.quizzes import import_quiz, load_quiz_file
from tests.conftest import PgServer

QUIZ = """
title: Logs
slug: logs-mini
time_limit: 5
questions:
  - question: Two plus two?
    options: ["3", "4", "5"]
    correct: 2
  - question: The largest planet?
    options: [Mars, Jupiter, Venus]
    correct: 2
"""
OPTIONS = LiveOptions(players=12, mode="group", quiz="logs-mini", think_min_s=0.2, think_max_s=1.0)
ENV = {
    "LOG_FORMAT": "json",
    "REVEAL_PAUSE_S": "1",
    "PER_GROUP_PER_MIN": "600",
    # Debug lines too: whatever a program would ever say about an update.
    "LOG_LEVEL": "DEBUG",
}
PROGRAM_LOGS = ("web.log", "sender.log", "writer.log")


def test_every_program_log_line_is_json_without_secrets_or_player_text(
    tmp_path: Path, pg_server: PgServer
) -> None:
    settings = load_settings(
        {"QUIZBOT_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": pg_server.admin_url}
    )
    quiz_file = tmp_path / "logs-mini.yaml"
    quiz_file.write_text(QUIZ)
    stack = LocalStack(
        settings,
        tmp_path / "run",
        players_args=f"{OPTIONS.swarm_args()} --answers {quiz_file}",
        env=ENV,
        sim_api_args="--group-per-min 600",
    )
    stack.start()
    try:
        engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            import_quiz(conn, load_quiz_file(quiz_file))
        engine.dispose()
        report = play_live(stack, OPTIONS)
        secret = stack.webhook_secret
    finally:
        stack.stop()
    assert report["answers_recorded"] > 0, report

    # What players typed: the host's /live command and every player's /start <payload>.
    player_text = [f"/live {OPTIONS.quiz}", "/start "]
    seen = 0
    for name in PROGRAM_LOGS:
        for number, line in enumerate((stack.layout.log_dir / name).read_text().splitlines(), 1):
            if not line.strip():
                continue
            where = f"{name}:{number}: {line[:200]}"
            entry = json.loads(line)  # raises on a line that is not one JSON object
            assert {"time", "level", "program", "logger", "message"} <= entry.keys(), where
            assert SIM_TOKEN not in line and secret not in line, where
            for text in player_text:
                assert text not in line, where
            seen += 1
    assert seen > 10  # the programs did log: started, booted workers, served the quiz
