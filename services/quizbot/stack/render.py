"""Render the ``config/`` files for a run directory.

The VM (Ansible's ``config_template`` filter, the same ``string.Template``
substitution) and a local run (this module) fill the same placeholders in the
same files, so what `make demo` and the e2e tests run is what production runs.
"""

from __future__ import annotations

import getpass
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from quizbot.paths import config_dir

PROGRAMS = ("web", "sender", "writer")


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
    def supervisor_socket(self) -> Path:
        return self.root / "supervisor.sock"

    @property
    def supervisord_pid(self) -> Path:
        return self.root / "supervisord.pid"

    def make(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)


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
        "run_dir": str(layout.root),
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
