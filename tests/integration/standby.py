"""A real streaming pair for the replica tests: a primary and a hot standby.

Both run from Debian's ``postgresql-15`` binaries (the embedded server ships no
``pg_basebackup``): ``initdb`` a primary with ``wal_level=replica`` and a
replication slot, then ``pg_basebackup -R -S <slot>`` for the standby. As root
the servers run as the ``postgres`` user (initdb refuses root), from a
directory under /tmp that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from quizbot.store.pgbouncer import free_port

PG_BIN = Path(os.environ.get("QUIZBOT_PG_BIN", "/usr/lib/postgresql/15/bin"))
SLOT = "quizbot_standby"
RUN_AS = "postgres"


def basebackup_binary() -> str | None:
    """pg_basebackup's path when it is installed with initdb and pg_ctl, else None."""
    if all((PG_BIN / name).is_file() for name in ("initdb", "pg_ctl", "pg_basebackup")):
        return str(PG_BIN / "pg_basebackup")
    return None


def _run(cmd: Sequence[str], timeout: float = 120) -> None:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


@dataclass
class Server:
    """One PostgreSQL server of the pair, on 127.0.0.1:``port``."""

    name: str
    data: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **values: str) -> None:
        with (self.data / "postgresql.conf").open("a") as conf:
            for key, value in values.items():
                conf.write(f"{key} = '{value}'\n")

    def start(self) -> None:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash (no shutdown checkpoint)."""
        if (self.data / "postmaster.pid").exists():
            _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def scalar(self, sql: str, database: str = "postgres") -> object:
        engine = sa.create_engine(
            self.url(database), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        try:
            with engine.connect() as conn:
                result = conn.execute(sa.text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


class StreamingPair:
    """A primary and its streaming hot standby, started and stopped by the tests."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="quizbot-standby-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam(RUN_AS)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.primary = Server("primary", self.root / "primary", free_port())
        self.standby = Server("standby", self.root / "standby", free_port())

    def start(self) -> StreamingPair:
        """initdb the primary, create the slot, base-backup the standby, start both."""
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.primary.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ]
        )
        common = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "shared_buffers": "32MB",
            # A test cluster: durability across an OS crash is not under test.
            "fsync": "off",
        }
        self.primary.configure(
            port=str(self.primary.port),
            wal_level="replica",
            max_wal_senders="4",
            max_replication_slots="4",
            **common,
        )
        self.primary.start()
        self.primary.scalar(f"SELECT pg_create_physical_replication_slot('{SLOT}')")
        _run(
            [
                str(PG_BIN / "pg_basebackup"),
                "-D",
                str(self.standby.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.primary.port),
                "-U",
                "postgres",
                "-R",
                "-S",
                SLOT,
                "-X",
                "stream",
                "-c",
                "fast",
            ]
        )
        self.standby.configure(port=str(self.standby.port), hot_standby="on", **common)
        self.standby.start()
        return self

    def wait_replayed(self, timeout: float = 30.0) -> None:
        """Until the standby has replayed everything the primary has written."""
        target = self.primary.scalar("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.standby.scalar(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if done:
                return
            time.sleep(0.05)
        raise TimeoutError(f"the standby did not replay up to {target} within {timeout} s")

    def pause_replay(self) -> None:
        """The standby keeps receiving WAL but stops applying it: it lags from now on."""
        self.standby.scalar("SELECT pg_wal_replay_pause()")

    def stop(self) -> None:
        """Stop both servers and remove their data."""
        for server in (self.standby, self.primary):
            with contextlib.suppress(RuntimeError):  # a test may have stopped it already
                server.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
