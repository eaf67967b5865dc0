"""A local run's supervisord socket fits a unix socket's path, however deep the run directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from quizbot.stack.render import UNIX_SOCKET_PATH_MAX, RunLayout


def test_a_short_run_directory_keeps_its_socket() -> None:
    layout = RunLayout(Path("/tmp/run"))
    assert layout.supervisor_socket == Path("/tmp/run/supervisor.sock")
    assert layout.supervisord_pid == Path("/tmp/run/supervisord.pid")


def test_a_deep_run_directory_gets_a_short_one_of_its_own() -> None:
    deep = Path("/tmp/pytest-of-someone/pytest-123/popen-gw0") / ("d" * 80) / "bench-live-abc"
    layout = RunLayout(deep)
    assert len(bytes(layout.supervisor_socket)) <= UNIX_SOCKET_PATH_MAX
    assert layout.run_dir.parent == Path(tempfile.gettempdir())
    # The same run finds the same socket; another run gets another one.
    assert RunLayout(deep).supervisor_socket == layout.supervisor_socket
    assert RunLayout(deep / "x").run_dir != layout.run_dir
