"""The web tier as a real gunicorn process, started from ``config/gunicorn.conf.py``.

The bench and the integration tests run exactly what production runs: the
same config file, the same worker class, workers forked by gunicorn. Only the
environment differs (database URL, bind address, secret).
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from quizbot.paths import config_dir
from quizbot.procstat import child_pids
from quizbot.store.pgbouncer import free_port

APP = "quizbot.web.app:app"


def gunicorn_command() -> list[str]:
    """The command line that runs the web tier."""
    return [sys.executable, "-m", "gunicorn", "-c", str(config_dir() / "gunicorn.conf.py"), APP]


@dataclass
class WebServer:
    """A gunicorn master and its workers on 127.0.0.1; ``env`` overrides the environment."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    command: list[str] = field(default_factory=gunicorn_command)
    process: subprocess.Popen[bytes] | None = None

    @property
    def tls(self) -> bool:
        """Whether gunicorn terminates TLS (TLS_CERT_FILE and TLS_KEY_FILE set)."""
        return bool(self.env.get("TLS_CERT_FILE") and self.env.get("TLS_KEY_FILE"))

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> WebServer:
        """Start gunicorn and wait until every worker serves."""
        env = {**os.environ, **self.env, "WEB_BIND": f"127.0.0.1:{self.port}"}
        workers = int(env.get("FASTAPI_WORKERS", "2"))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # A session of its own, so a Ctrl-C in the terminal reaches only us,
            # and stop() can take the master and its workers down together.
            self.process = subprocess.Popen(
                self.command, env=env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log_path}:\n{self.log()}")
            if len(self.worker_pids()) >= workers and self._ready(workers):
                return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"gunicorn did not serve within {timeout} s; see {self.log_path}")

    def _ready(self, workers: int) -> bool:
        # A worker listens only once its lifespan has built the runtime; ask
        # /health until as many distinct worker pids have answered as exist.
        seen: set[int] = set()
        for _ in range(workers * 8):
            try:
                # A self-signed certificate is the point of a local TLS run: don't verify it.
                context = ssl._create_unverified_context() if self.tls else None
                with urllib.request.urlopen(
                    f"{self.url}/health", timeout=5, context=context
                ) as response:
                    seen.add(int(json.loads(response.read())["pid"]))
            except (urllib.error.URLError, OSError, ValueError, KeyError):
                return False
            if len(seen) >= workers:
                return True
        return False

    def worker_pids(self) -> list[int]:
        """The pids of the running workers."""
        return child_pids(self.process.pid) if self.process else []

    def log(self) -> str:
        """The server's log so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (graceful: workers drain), SIGKILL after ``timeout``; the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode
