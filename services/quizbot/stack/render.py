"""Render the ``config/`` files for a run directory.

The VM (Ansible's ``config_template`` filter, the same ``string.Template``
substitution) and a local run (this module) fill the same placeholders in the
same files, so what `make demo` and the e2e tests run is what production runs.
"""

from __future__ import annotations

import getpass
import hashlib
import shutil
import string
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quizbot.paths import config_dir

PROGRAMS = ("web", "sender", "writer")
# sun_path is 108 bytes with its terminating NUL.
UNIX_SOCKET_PATH_MAX = 107


@dataclass(frozen=True)
class RunLayout:
    """Where one local run keeps its rendered config, logs and sockets."""

    root: Path

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def env_file(self) -> Path:
        return self.root / "quizbot.env"

    @property
    def supervisord_conf(self) -> Path:
        return self.root / "supervisord.conf"

    @property
    def run_dir(self) -> Path:
        """supervisord's socket and pid file: the run directory, unless its path is too
        long for a unix socket (107 bytes; pytest's tmp_path under xdist can be),
        then a short directory of its own under the system's temp directory."""
        if len(bytes(self.root / "supervisor.sock")) <= UNIX_SOCKET_PATH_MAX:
            return self.root
        digest = hashlib.sha256(bytes(self.root)).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"quizbot-run-{digest}"

    @property
    def supervisor_socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def supervisord_pid(self) -> Path:
        return self.run_dir / "supervisord.pid"

    def make(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(mode=0o700, exist_ok=True)

    def clean(self) -> None:
        """Remove the short run directory, if one was made (its files are gone by then)."""
        if self.run_dir != self.root:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def render_file(name: str, values: dict[str, str]) -> str:
    """``config/<name>`` with every ``${...}`` filled (a missing value is an error)."""
    return string.Template((config_dir() / name).read_text()).substitute(values)


def write_env_file(layout: RunLayout, env: dict[str, str]) -> None:
    """The run's env file (secrets included, so readable by the owner only)."""
    lines = [f"{key}={value}" for key, value in sorted(env.items())]
    layout.env_file.write_text("\n".join(lines) + "\n")
    layout.env_file.chmod(0o600)


def render_supervisor(
    layout: RunLayout,
    *,
    sim_api_port: int | None,
    sim_api_args: str = "",
    web_url: str = "",
    players_args: str = "",
) -> list[Path]:
    """Write supervisord.conf and the program files into the run directory."""
    values = {
        "bin_dir": str(Path(sys.executable).parent),
        "config_dir": str(config_dir()),
        "work_dir": str(layout.root),
        "run_dir": str(layout.run_dir),
        "log_dir": str(layout.log_dir),
        "env_file": str(layout.env_file),
        "user": getpass.getuser(),
        "sim_api_port": str(sim_api_port or 0),
        "sim_api_args": sim_api_args,
        "web_url": web_url,
        "sim_url": f"http://127.0.0.1:{sim_api_port}" if sim_api_port else "",
        "players_args": players_args,
    }
    # One machine runs every program, like a single VM in both `web` and `workers`.
    values["programs"] = ",".join(PROGRAMS)
    names = ["quizbot", *PROGRAMS] + (["simulator"] if sim_api_port is not None else [])
    programs = []
    for name in names:
        path = layout.root / f"{name}.conf"
        path.write_text(render_file(f"supervisor/{name}.conf", values))
        programs.append(path)
    values["include_files"] = " ".join(str(p) for p in programs)
    layout.supervisord_conf.write_text(render_file("supervisor/supervisord.conf", values))
    return programs
