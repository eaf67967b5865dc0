"""SIGTERM to ``quizbot bench live`` stops the stack it started, as Ctrl-C does.

A CI timeout, ``timeout(1)`` or a plain ``kill`` sends SIGTERM. The command
starts supervisord (which daemonizes) with web, sender, writer and the fake
Telegram; none of them may outlive it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from quizbot.procstat import descendant_pids
from quizbot.stack.render import RunLayout
from tests.conftest import PgServer


def stack_of(var_dir: Path) -> dict[int, str]:
    """supervisord of the run under ``var_dir`` (it daemonizes) and every process under it."""
    found: dict[int, str] = {}
    for root in var_dir.glob("bench-live-*"):
        try:
            supervisord = int(RunLayout(root).supervisord_pid.read_text())
        except (OSError, ValueError):
            continue
        for pid in [supervisord, *descendant_pids(supervisord)]:
            try:
                found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_stops_every_program_the_bench_started(tmp_path: Path, pg_server: PgServer) -> None:
    # A deep directory, as under pytest-xdist: supervisord's socket must still fit.
    var = tmp_path / ("v" * 60)
    env = {**os.environ, "DATABASE_URL": pg_server.admin_url, "QUIZBOT_VAR_DIR": str(var)}
    log = tmp_path / "bench.log"
    command = [sys.executable, "-m", "quizbot.cli", "bench", "live", "--players", "20"]
    proc = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out")],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        programs = ("quizbot-sender", "quizbot-writer", "gunicorn", "sim api")
        while True:
            started = stack_of(var)
            if all(any(p in cmd for cmd in started.values()) for p in programs):
                break
            assert proc.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, f"the stack did not start: {started}"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(90) != 0  # interrupted, not a finished benchmark
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 30
    try:
        while left := {pid: cmd for pid, cmd in started.items() if alive(pid)}:
            assert time.monotonic() < deadline, f"outlived the bench: {left}"
            time.sleep(0.2)
    finally:
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
