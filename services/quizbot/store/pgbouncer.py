"""Run pgbouncer in front of PostgreSQL from ``config/pgbouncer.ini``.

The same file serves the VM (rendered by Ansible), ``make demo``, the benches
and the tests; only the ``${...}`` placeholders differ. :class:`PgBouncer` starts
a private instance for local runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import string
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from quizbot.paths import config_dir
from quizbot.settings import load_settings
from quizbot.store.database import session_sql

TEMP_PREFIX = "quizbot-pgbouncer-"
BINARY_CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")


def find_binary() -> str | None:
    """The pgbouncer executable, if installed."""
    for name in BINARY_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_connect_query() -> str:
    """The session settings (timeouts) with their default values, as pgbouncer's connect_query."""
    return session_sql(load_settings({}))


def render(values: dict[str, str]) -> str:
    """``config/pgbouncer.ini`` with its placeholders filled in."""
    template = string.Template((config_dir() / "pgbouncer.ini").read_text())
    return template.substitute(values)


@dataclass
class PgBouncer:
    """A private pgbouncer, in transaction mode, for one PostgreSQL server.

    ``server_url`` is a SQLAlchemy URL of the server (Unix socket or TCP).
    Clients authenticate with ``user``/``password`` (scram-sha-256); pgbouncer
    logs in to PostgreSQL with the same credentials.
    """

    server_url: str
    run_dir: Path
    database: str = "*"
    user: str = "postgres"
    password: str = "quizbot-local"
    pool_size: int = 12
    max_db_connections: int = 16
    port: int = field(default_factory=free_port)
    # Run on every server connection pgbouncer opens: transaction pooling drops
    # the clients' startup options, so this is how the timeouts reach PostgreSQL.
    connect_query: str = field(default_factory=default_connect_query)
    # Where each run's log is appended when pgbouncer stops (a temporary run
    # dir goes with the run): a stack keeps it with its other programs' logs.
    keep_log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for ``database`` through this pgbouncer."""
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _databases_line(self) -> str:
        server = make_url(self.server_url)
        host = server.host or server.query.get("host") or "127.0.0.1"
        port = server.port or server.query.get("port") or 5432
        target = f"host={host} port={port}"
        if self.connect_query:
            target += " connect_query='" + self.connect_query.replace("'", "''") + "'"
        if self.database == "*":
            return f"* = {target}"
        return f"{self.database} = {target} dbname={self.database}"

    def start(self, binary: str | None = None) -> PgBouncer:
        """Render the config into ``run_dir`` and start pgbouncer; wait until it listens."""
        exe = binary or find_binary()
        if exe is None:
            raise FileNotFoundError("pgbouncer is not installed (apt-get install pgbouncer)")
        if os.geteuid() == 0:
            # pgbouncer drops root for an unprivileged user, who must reach these files;
            # a caller's run_dir may sit under root-only directories (pytest's are 0700).
            self.run_dir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        auth = self.run_dir / "userlist.txt"
        auth.write_text(f'"{self.user}" "{self.password}"\n')
        auth.chmod(0o600)
        ini = self.run_dir / "pgbouncer.ini"
        ini.write_text(
            render(
                {
                    "databases": self._databases_line(),
                    "listen_addr": "127.0.0.1",
                    "listen_port": str(self.port),
                    "unix_socket_dir": "",
                    "auth_file": str(auth),
                    "pidfile": str(self.run_dir / "pgbouncer.pid"),
                    "logfile": str(self.run_dir / "pgbouncer.log"),
                    "default_pool_size": str(self.pool_size),
                    "max_db_connections": str(self.max_db_connections),
                    "admin_users": self.user,
                    "stats_users": self.user,
                }
            )
        )
        cmd = [exe, str(ini)]
        # pgbouncer refuses to run as root; run it as the embedded server's user then.
        if os.geteuid() == 0:
            owner = _unprivileged_user()
            for path in (self.run_dir, auth, ini):
                shutil.chown(path, owner, owner)
            cmd = [exe, "-u", owner, str(ini)]
        # pgbouncer logs to stderr as well as to its logfile, and an outage makes
        # it log a warning per client request. Into a pipe nobody reads, that
        # filled the pipe's 64 KB and blocked pgbouncer in write() for good: it
        # stopped serving until restarted. A file never blocks.
        stderr_path = self.run_dir / "stderr.log"
        with stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = stderr_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"pgbouncer exited at start: {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("pgbouncer did not start listening within 10 s")

    def stop(self) -> None:
        """Stop pgbouncer (SIGTERM, then SIGKILL after 5 s); remove a temporary run dir.

        With ``keep_log``, the run's log is appended there first.
        """
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        log = self.run_dir / "pgbouncer.log"
        if self.keep_log is not None and log.exists():
            with contextlib.suppress(OSError), self.keep_log.open("ab") as kept:
                kept.write(log.read_bytes())
        if self.run_dir.name.startswith(TEMP_PREFIX) and self.run_dir.parent == Path(
            tempfile.gettempdir()
        ):
            shutil.rmtree(self.run_dir, ignore_errors=True)


def _unprivileged_user() -> str:
    import pwd

    for name in ("pgserver", "postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user to run pgbouncer as")
