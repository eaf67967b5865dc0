"""`quizbot bench chaos`, small: a live quiz on the whole stack, broken on purpose.

The same run as the bench (supervisord, the real config files, pgbouncer, an
embedded PostgreSQL of the test's own, the fake Telegram and the swarm), with
about 100 players instead of 1,000 and shorter outages than the bench's
(pgbouncer 4 s instead of 30 s, PostgreSQL 3 s instead of 15 s, Telegram faults
2 s), so that `make test` stays short. The group run meets every fault a group
quiz can meet; the private run meets the one only private chats can (players
blocking the bot), plus a sender kill, a PostgreSQL stop and a 429 storm
during its broadcasts. Between them every fault kind is caused.

What is asserted is what the issue's "done when" asks, from ground truth: no
acknowledged answer lost or counted twice, no message lost, scores equal to an
independent computation, duplicates within the bound, every program RUNNING at
the end, and each fault recovered from within the bound (10 s here on a
shared machine, 5 s in the bench: see WIDE).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizbot.bench.chaos import ChaosOptions, run_chaos
from quizbot.settings import load_settings
from quizbot.stack.faults import ALL_KINDS, Durations, kinds_for
from quizbot.store.pgbouncer import find_binary
from tests.conftest import VAR, require_tool

SHORT = Durations(
    pgbouncer_s=4, postgres_s=3, storm_s=2, burst_s=2, slow_s=2, slow_ms=1500, block_share=0.1
)
PRIVATE_KINDS = ("players_block_bot", "kill_sender", "postgres_down", "telegram_429_storm")
# A SIGKILLed sender cannot record the results of the calls it had in flight, so
# their rows go out again (at-least-once): up to SENDER_WORKERS (10) duplicates
# per kill, more than 0.1% of this small private run's messages allows.
PER_KILL = 10.0
# Wider limits than the bench's (recovery 5 s, ack p99 150 ms): these runs share
# 2 cores with the rest of `make test`, and a gunicorn master's restart alone
# can take 5 s on a loaded machine. The bench's figures are in docs/performance.md.
WIDE = {"recovery_limit_s": 10.0, "ack_p99_limit_ms": 500.0, "recovery_allowance_s": 3.0}
RUNS = {
    "group": ChaosOptions(
        players=100, mode="group", seed=7, durations=SHORT, gap_min_s=0.5, gap_max_s=1.5,
        time_limit_s=6, kinds=kinds_for("group"), **WIDE,
    ),
    "private": ChaosOptions(
        players=40, mode="private", seed=7, durations=SHORT, gap_min_s=0.5, gap_max_s=1.5,
        time_limit_s=6, kinds=PRIVATE_KINDS, min_duplicate_limit=PER_KILL, **WIDE,
    ),
}  # fmt: skip


def test_the_two_runs_cause_every_fault_kind() -> None:
    caused = {kind for options in RUNS.values() for kind in options.kinds}
    assert caused == set(ALL_KINDS)


@pytest.fixture
def chaos_report(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    require_tool(find_binary(), "pgbouncer", "pgbouncer")
    # An embedded PostgreSQL of this test's own, since the run stops it with
    # -m immediate; under .var because, as root, it runs as an unprivileged user
    # who cannot enter pytest's private temporary directories.
    var = VAR / f"chaos-{uuid.uuid4().hex[:8]}"
    settings = load_settings({"QUIZBOT_VAR_DIR": str(var), "DATABASE_URL": ""})
    try:
        yield run_chaos(settings, RUNS[request.param], tmp_path / "out", {})
    finally:
        shutil.rmtree(var, ignore_errors=True)


@pytest.mark.parametrize("chaos_report", ["group", "private"], indirect=True)
def test_a_live_quiz_rides_through_real_faults(chaos_report: dict, tmp_path: Path) -> None:
    r = chaos_report
    assert [f["kind"] for f in r["faults"] if f.get("error")] == [], r["faults"]
    assert r["finished"], r
    assert (r["lost"], r["double_counted"], r["outbox_lost"]) == (0, 0, 0), r
    assert r["scores_match"] is True
    assert r["answers_recorded"] > 0
    # Every row marked sent is found in the fake API's journal by its id, so the
    # duplicate count below cannot miss a call.
    assert r["sent_rows_without_call"] == 0
    assert r["duplicate_sends"] <= r["limits"]["duplicate_sends"], r["duplicate_sends"]
    assert set(r["programs_running_after"].values()) == {"RUNNING"}, r["programs_running_after"]
    bound = r["limits"]["recovery_s"]
    slow = {
        f["kind"]: f["recovery_s"]
        for f in r["faults"]
        if f["recovery_s"] is None or f["recovery_s"] > bound
    }
    assert slow == {}, r["faults"]
    assert r["failures"] == []
    assert (tmp_path / "out" / "report.png").stat().st_size > 10_000
