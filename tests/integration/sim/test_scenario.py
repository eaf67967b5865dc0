"""``quizbot sim run``: a scenario's users play against an unmodified PTB bot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def play(scenario: Path, text: str, options: list[str], bot_mode: list[str]) -> dict[str, Any]:
    """Run ``quizbot sim run`` on ``text`` with ``options``, the PTB bot (in ``bot_mode``)
    against the fake API it starts; the run's report."""
    scenario.write_text(text)
    port = free_port()
    args = [str(QUIZBOT), "sim", "run", str(scenario), "--port", str(port), "--no-limits"]
    run = subprocess.Popen(
        [*args, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert run.stderr is not None
    started = run.stderr.readline()  # the fake API is listening once it says so
    assert f"fake Bot API: http://127.0.0.1:{port}" in started
    bot_log = scenario.with_suffix(".bot.log")
    with bot_log.open("w") as log:
        bot = subprocess.Popen(
            [sys.executable, str(BOT), f"http://127.0.0.1:{port}", "1:t", *bot_mode], stderr=log
        )
    try:
        out, err = run.communicate(timeout=150)
    finally:
        bot.terminate()
        bot.wait(15)
    assert run.returncode == 0, err
    # No fault script here: the fake API answered no call 500, up to its stop included.
    assert "Exception in ASGI application" not in err, err
    assert "Internal Server Error" not in bot_log.read_text(), bot_log.read_text()
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_scenario_plays_against_a_polling_bot_and_reports(tmp_path: Path) -> None:
    report = play(tmp_path / "buttons.yml", SCENARIO, [], ["polling"])
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


WEBHOOK_SCENARIO = """\
groups:
  G: {title: Quiz night}
users:
  count: 6
  join: [G]
steps:
  - send: /start
  - document: notes.pdf
    mime_type: application/pdf
  - inline: capitals
    users: 2
  - leave: G
    users: 3
    after_s: 1
  - unblock: true
    after_s: 12
react:
  press: first
  within: [0.05, 0.3]
block:
  share: 0.5
  after_messages: 2
stop:
  after_s: 90
  idle_s: 8
seed: 4
"""


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_scenario_drives_a_webhook_bot_through_the_fake_apis_deliveries(tmp_path: Path) -> None:
    """`sim run --webhook`: a PTB bot under run_webhook gets every user's update,
    secret included, and answers the documents and inline queries the steps send."""
    hook_port = free_port()
    hook = f"http://127.0.0.1:{hook_port}/hook"
    options = ["--webhook", hook, "--token", "1:t", "--secret", "s3cret"]
    # The bot comes up after the users have started: the fake API retries until it listens.
    report = play(
        tmp_path / "webhook.yml", WEBHOOK_SCENARIO, options, ["webhook", str(hook_port), "s3cret"]
    )
    assert report["refused"] == {}
    actions = report["actions"]
    assert (actions["send"], actions["document"], actions["inline"]) == (6, 6, 2)
    assert (actions["join"], actions["leave"]) == (6, 3)
    # Half blocked the bot after its two replies (the question, "got notes.pdf"), then
    # unblocked it. The others pressed the question's first button, and so did a
    # blocker who got the question first.
    assert report["blocked_the_bot"] == actions["block"] == actions["unblock"] == 3
    assert 3 <= actions["press"] <= 6 and report["seen"]["toasts"] == actions["press"]
    by_method = report["bot"]["by_method"]
    assert by_method["sendMessage"]["200"] == 12  # the question and the document's reply, each
    assert by_method["answerInlineQuery"]["200"] == 2
    assert by_method["setWebhook"]["200"] >= 1
    assert report["bot"]["rate_limited_429"] == 0
    assert report["seen"]["messages"] == 12
    assert "idle_s" in report["stopped_by"]


def test_a_malformed_scenario_fails_with_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yml"
    scenario.write_text("users:\n  count: 2\nreact:\n  press: [1\n")
    done = subprocess.run(
        [str(QUIZBOT), "sim", "run", str(scenario)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert f"{scenario}:5: not YAML" in done.stderr or f"{scenario}:4:" in done.stderr
