"""The whole stack on this machine, under supervisord, from the real config files.

Used by `make demo` (``quizbot demo``), ``quizbot bench live`` and the e2e
tests. It starts PostgreSQL (embedded unless ``DATABASE_URL`` is set), pgbouncer
when installed, then renders ``config/supervisor/*.conf`` into a run directory
and starts supervisord with web, sender, writer and the fake Bot API. ``stop()``
shuts everything down and checks that nothing it started is left running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quizbot.procstat import descendant_pids
from quizbot.settings import Settings, setting_names
from quizbot.stack.render import RunLayout, render_supervisor, write_env_file
from quizbot.store import migrate
from quizbot.store.database import (
    embedded_server,
    ensure_database,
    normalize_url,
    server_url,
    stop_embedded,
)
from quizbot.store.pgbouncer import PgBouncer, find_binary, free_port
from quizbot.store.quizzes import import_quiz, load_quiz_file, sample_files

log = logging.getLogger(__name__)

SIM_TOKEN = "7000000001:SIMULATED-TOKEN"
SIM_BOT_USERNAME = "quizbot_sim_bot"
PROGRAMS = ("quizbot:web", "quizbot:sender", "quizbot:writer")


@dataclass
class LocalStack:
    """One run of the stack. Use as a context manager, or call start() and stop()."""

    settings: Settings
    run_root: Path
    simulator: bool = True
    sim_api_args: str = ""
    players_args: str = ""
    env: dict[str, str] = field(default_factory=dict)
    use_pgbouncer: bool = True
    keep_database: bool = False

    layout: RunLayout = field(init=False)
    direct_url: str = field(init=False, default="")
    pooled_url: str = field(init=False, default="")
    web_url: str = field(init=False, default="")
    sim_url: str = field(init=False, default="")
    webhook_secret: str = field(init=False, default="")
    pgbouncer: PgBouncer | None = field(init=False, default=None)
    _admin_url: str | None = field(init=False, default=None)
    _db_name: str | None = field(init=False, default=None)
    _started_embedded: Path | None = field(init=False, default=None)
    _embedded_data: Path | None = field(init=False, default=None)
    _supervisord_pid: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.layout = RunLayout(self.run_root)

    # -- start ---------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> LocalStack:
        """Bring everything up and wait until the web tier answers /health."""
        self.layout.make()
        try:
            self._database()
            self._supervisord()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _database(self) -> None:
        # A database of its own for each run, on the configured server or the
        # embedded one, so runs never see each other's sessions; dropped at stop.
        if self.settings.database_url:
            configured = make_url(
                normalize_url(self.settings.database_direct_url or self.settings.database_url)
            )
            self._admin_url = configured.set(database="postgres").render_as_string(False)
            user, password = configured.username or "postgres", configured.password
        else:
            data = Path(self.settings.quizbot_var_dir) / "pgdata"
            self._embedded_data = data
            if not (data / "postmaster.pid").exists():
                self._started_embedded = data
            self._admin_url = server_url(embedded_server(data))
            user, password = "postgres", None
        self._db_name = f"quizbot_run_{uuid.uuid4().hex[:8]}"
        ensure_database(self._admin_url, self._db_name)
        self.direct_url = (
            make_url(self._admin_url).set(database=self._db_name).render_as_string(False)
        )
        self.pooled_url = self.direct_url
        if self.use_pgbouncer and find_binary():
            self.pgbouncer = PgBouncer(
                server_url=self._admin_url,
                run_dir=self.layout.root / "pgbouncer",
                database=self._db_name,
                user=user,
                password=password or "quizbot-local",
                keep_log=self.layout.log_dir / "pgbouncer.log",
            )
            self.pgbouncer.start()
            self.pooled_url = self.pgbouncer.url(self._db_name)
        migrate.upgrade(self.direct_url)
        engine = sa.create_engine(self.direct_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            for path in sample_files():
                import_quiz(conn, load_quiz_file(path))
        engine.dispose()

    def _supervisord(self) -> None:
        web_port, sim_port = free_port(), free_port()
        self.web_url = f"http://127.0.0.1:{web_port}"
        self.sim_url = f"http://127.0.0.1:{sim_port}" if self.simulator else ""
        self.webhook_secret = secrets.token_urlsafe(24)
        env = {
            "DATABASE_URL": self.pooled_url,
            "DATABASE_DIRECT_URL": self.direct_url,
            "WEBHOOK_SECRET": self.webhook_secret,
            "WEB_BIND": f"127.0.0.1:{web_port}",
            "FASTAPI_WORKERS": str(self.settings.fastapi_workers),
            "QUIZBOT_VAR_DIR": str(self.layout.root / "var"),
            "STATSD_HOST": self.settings.statsd_host,
            "STATSD_PORT": str(self.settings.statsd_port),
            "LOG_LEVEL": self.settings.log_level,
            # quizbot status, pointed at this run with QUIZBOT_ENV_FILE=<run>/env.
            "SUPERVISOR_URL": f"unix://{self.layout.supervisor_socket}",
        }
        if self.simulator:
            env |= {
                "TELEGRAM_BOT_TOKEN": SIM_TOKEN,
                "TELEGRAM_API_URL": self.sim_url,
                "BOT_USERNAME": SIM_BOT_USERNAME,
            }
        env |= self.env
        write_env_file(self.layout, env)
        render_supervisor(
            self.layout,
            sim_api_port=sim_port if self.simulator else None,
            sim_api_args=self.sim_api_args,
            web_url=self.web_url,
            players_args=self.players_args,
        )
        supervisord = Path(sys.executable).parent / "supervisord"
        # The programs read their settings from the run's env file; a variable
        # inherited from this process's environment would override it there.
        inherited = {
            k: v
            for k, v in os.environ.items()
            if k not in setting_names() and k != "QUIZBOT_ENV_FILE"
        }
        subprocess.run(
            [str(supervisord), "-c", str(self.layout.supervisord_conf)],
            check=True,
            cwd=self.layout.root,
            env=inherited,
        )
        self._supervisord_pid = self._read_supervisord_pid(timeout=10)

    def _read_supervisord_pid(self, timeout: float) -> int:
        # supervisord creates its pid file before writing the number into it.
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                text = self.layout.supervisord_pid.read_text().strip()
                if text.isdigit():
                    return int(text)
            if time.monotonic() > deadline:
                raise TimeoutError("supervisord did not write its pid file")
            time.sleep(0.05)

    def wait_ready(self, timeout: float) -> None:
        """Wait until every program is RUNNING and /health says ok."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            states = self.states()
            last = str(states)
            # BACKOFF is supervisor retrying a program that exited early; only
            # FATAL (out of retries) means it will not come up.
            if any(s == "FATAL" for s in states.values()):
                raise RuntimeError(f"a program failed to start: {states}\n{self.tail_logs()}")
            daemons = {k: v for k, v in states.items() if k != "simulator:players"}
            if daemons and all(s == "RUNNING" for s in daemons.values()) and self._healthy():
                return
            time.sleep(0.2)
        raise TimeoutError(f"stack not ready after {timeout:.0f} s: {last}\n{self.tail_logs()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.web_url}/health", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    # -- control -------------------------------------------------------------------

    def ctl(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run supervisorctl against this run's supervisord."""
        exe = Path(sys.executable).parent / "supervisorctl"
        return subprocess.run(
            [str(exe), "-c", str(self.layout.supervisord_conf), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def states(self) -> dict[str, str]:
        """Program name -> supervisor state, e.g. {"quizbot:web": "RUNNING"}."""
        out = self.ctl("status").stdout
        states = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                states[parts[0]] = parts[1]
        return states

    def program_pids(self) -> dict[str, list[int]]:
        """Every live process of each program (the program's pid and its children)."""
        pids: dict[str, list[int]] = {}
        for name in self.states():
            out = self.ctl("pid", name).stdout.strip()
            if out.isdigit() and int(out) > 0:
                pids[name] = [int(out), *descendant_pids(int(out))]
        return pids

    def tail_logs(self, lines: int = 20) -> str:
        """The last lines of each program's log, for error messages."""
        chunks = []
        for path in sorted(self.layout.log_dir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(chunks)

    def leftovers(self) -> list[int]:
        """Processes still running that this run started (found by its env file)."""
        marker = str(self.layout.env_file).encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in environ or str(self.layout.supervisord_conf).encode() in cmdline:
                found.append(int(entry.name))
        return found

    # -- stop ----------------------------------------------------------------------

    def stop(self) -> list[int]:
        """Stop every program, supervisord, pgbouncer and the database this run started.

        Returns the pids that had to be killed because they outlived supervisord
        (an empty list is the healthy outcome).
        """
        orphans: list[int] = []
        if self._supervisord_pid is None and self.layout.supervisord_pid.exists():
            with contextlib.suppress(TimeoutError):
                self._supervisord_pid = self._read_supervisord_pid(timeout=2)
        if self._supervisord_pid is not None:
            self.ctl("shutdown")
            deadline = time.monotonic() + 60
            while _alive(self._supervisord_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            orphans = self.leftovers()
            for pid in orphans:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._supervisord_pid = None
        self.layout.clean()
        if self.pgbouncer is not None:
            self.pgbouncer.stop()
            self.pgbouncer = None
        if self._admin_url and self._db_name and not self.keep_database:
            engine = sa.create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._db_name}" WITH (FORCE)'))
            engine.dispose()
        if self._started_embedded is not None:
            stop_embedded(self._started_embedded)
            self._started_embedded = None
        return orphans

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def embedded_data_dir(self) -> Path | None:
        """The embedded PostgreSQL's data directory, or None on a configured server."""
        return self._embedded_data

    def database_name(self) -> str:
        """The database this run uses."""
        return str(make_url(self.direct_url).database)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
