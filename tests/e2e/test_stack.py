"""The whole stack under supervisord, from the real config files, played by the swarm.

Each test starts supervisord with web, sender, writer and the fake Telegram
(rendered from config/supervisor/*.conf exactly as `make demo` does), lets the
swarm play a short live quiz, and compares what the players saw with what the
database holds.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack


def _assert_ground_truth(report: dict[str, Any], players: int) -> None:
    assert report["finished"], report
    assert report["answers_sent"] > 0
    assert report["answers_acknowledged"] == report["answers_sent"], report["swarm_error_samples"]
    # A press that reached the web tier after its question closed (a delivery
    # delayed by a restart, a loaded machine) is acknowledged with the "too
    # late" toast, or "no longer open" once the next question has opened, and
    # not kept; every press is kept or refused so, and "lost" below checks
    # that every kept one is in the database.
    toasts = report["toasts"]
    kept = toasts.get(answer_toast(AnswerOutcome.ACCEPTED), 0)
    kept += toasts.get(answer_toast(AnswerOutcome.DUPLICATE), 0)  # a retry of a kept press
    late = toasts.get(answer_toast(AnswerOutcome.LATE), 0)
    late += toasts.get(answer_toast(AnswerOutcome.STALE), 0)
    assert kept + late == report["answers_sent"], toasts
    assert report["answers_recorded"] == kept
    assert kept >= report["answers_sent"] // 2, toasts
    assert report["lost"] == 0
    assert report["double_counted"] == 0
    assert report["scores_match"] is True
    assert report["results_commits"] == 1
    assert report["retry_after_429"] == 0


GROUP = LiveOptions(players=30, mode="group", quiz="e2e-mini", think_min_s=0.2, think_max_s=1.5)
PRIVATE = LiveOptions(players=24, mode="private", quiz="e2e-mini", think_min_s=0.2, think_max_s=1.5)


@pytest.mark.parametrize("started", [GROUP], indirect=True)
def test_a_group_quiz_ends_with_the_database_equal_to_ground_truth(started: LocalStack) -> None:
    states = started.states()
    assert {states[p] for p in ("quizbot:web", "quizbot:sender", "quizbot:writer")} == {"RUNNING"}
    report = play_live(started, GROUP)
    _assert_ground_truth(report, GROUP.players)
    assert report["pg_backends_peak"] <= 20


def _wait_for_open_question(stack: LocalStack, timeout: float) -> bool:
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                open_now = conn.scalar(
                    sa.text("SELECT count(*) FROM sessions WHERE status = 'question'")
                )
            if open_now:
                return True
            time.sleep(0.1)
        return False
    finally:
        engine.dispose()


@pytest.mark.parametrize("started", [PRIVATE], indirect=True)
def test_a_private_quiz_survives_restarting_the_sender_and_the_writer(
    started: LocalStack,
) -> None:
    result: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: result.update(play_live(started, PRIVATE)))
    runner.start()
    # Restart mid-quiz: a question is open and its broadcast is being sent.
    assert _wait_for_open_question(started, timeout=120), "the quiz never reached a question"
    for program in ("quizbot:sender", "quizbot:writer"):
        restarted = started.ctl("restart", program)
        assert "started" in restarted.stdout, restarted.stdout
    assert started.states()["quizbot:sender"] == "RUNNING"
    runner.join(300)
    assert not runner.is_alive()
    _assert_ground_truth(result, PRIVATE.players)


@pytest.mark.parametrize("started", [GROUP], indirect=True)
def test_stopping_a_program_stops_all_of_its_processes(started: LocalStack) -> None:
    web = started.program_pids()["quizbot:web"]
    assert len(web) >= 3  # the gunicorn master and FASTAPI_WORKERS workers
    stopped = started.ctl("stop", "quizbot:web")
    assert "stopped" in stopped.stdout
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in web):
        time.sleep(0.1)
    assert not [p for p in web if Path(f"/proc/{p}").exists()]
    assert "started" in started.ctl("start", "quizbot:web").stdout
    started.wait_ready(30)
