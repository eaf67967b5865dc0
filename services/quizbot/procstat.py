"""CPU time from /proc: per process, per database's backends, and the whole machine.

The benches run their load generator on the machine they measure, so they
account CPU per party: the processes under test, the PostgreSQL backends that
serve the bench's own database, and the machine as a whole (which also counts
the load generator and anything else running).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (0.0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may hold spaces and parentheses: fields follow the last ")".
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def processes_cpu_s(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds so far of each of ``pids``."""
    return {pid: process_cpu_s(pid) for pid in pids}


def database_backends(database: str) -> list[int]:
    """PostgreSQL backends connected to ``database`` (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        # A backend's process title: "postgres: <user> <database> <client> <state>".
        words = title.split()
        if len(words) >= 3 and words[0] == "postgres:" and words[2] == database:
            found.append(int(entry.name))
    return found


def machine_busy_s() -> float:
    """CPU seconds every core of the machine has spent not idle (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def delta_s(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two readings by the processes in ``after``."""
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


def descendant_pids(root: int) -> list[int]:
    """Every process below ``root``: its children, theirs, and so on."""
    found: list[int] = []
    frontier = [root]
    while frontier:
        children = child_pids(frontier.pop())
        found.extend(children)
        frontier.extend(children)
    return found
