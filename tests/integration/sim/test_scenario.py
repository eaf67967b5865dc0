"""``quizbot sim run``: a scenario's users play against an unmodified PTB bot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.sim.conftest import free_port

BOT = Path(__file__).with_name("ptb_echo_bot.py")
QUIZBOT = Path(sys.executable).with_name("quizbot")

SCENARIO = """\
users:
  count: 20
steps:
  - send: /start
react:
  press: first
  within: [0.05, 0.3]
block:
  share: 0.25
  after_messages: 1
stop:
  after_s: 60
  idle_s: 10
"""


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_scenario_plays_against_a_polling_bot_and_reports(tmp_path: Path) -> None:
    scenario = tmp_path / "buttons.yml"
    scenario.write_text(SCENARIO)
    port = free_port()
    run = subprocess.Popen(
        [str(QUIZBOT), "sim", "run", str(scenario), "--port", str(port), "--no-limits"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stderr is not None
    started = run.stderr.readline()  # the fake API is listening once it says so
    assert f"fake Bot API: http://127.0.0.1:{port}" in started
    bot = subprocess.Popen([sys.executable, str(BOT), f"http://127.0.0.1:{port}", "1:t", "polling"])
    try:
        out, err = run.communicate(timeout=120)
    finally:
        bot.terminate()
        bot.wait(15)
    assert run.returncode == 0, err
    report = json.loads(out)
    assert report["users"] == 20
    assert report["actions"]["send"] == 20
    assert report["seen"]["messages"] == 20  # each user saw the bot's question
    assert report["blocked_the_bot"] == 5  # a quarter blocked the bot after it
    assert report["actions"]["block"] == 5
    assert report["actions"]["press"] == 15  # the others pressed the first button
    assert report["seen"]["edits"] == 15  # and saw the question edited
    assert report["seen"]["toasts"] == 15
    assert report["latency_ms"]["count"] == 35  # /start -> question, press -> edit
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p99"] < 30_000
    assert report["bot"]["rate_limited_429"] == 0
    assert report["bot"]["by_method"]["sendMessage"]["200"] == 20
    assert len(report["messages_per_chat"]) == 20
    assert "idle_s" in report["stopped_by"]


def test_a_malformed_scenario_fails_with_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yml"
    scenario.write_text("users:\n  count: 2\nreact:\n  press: [1\n")
    done = subprocess.run(
        [str(QUIZBOT), "sim", "run", str(scenario)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert f"{scenario}:5: not YAML" in done.stderr or f"{scenario}:4:" in done.stderr
