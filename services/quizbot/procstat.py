"""CPU time from /proc, for the benchmarks' "CPU per answer" figures (Linux only)."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far; 0 when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may contain spaces; the fields after its ")" are fixed.
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def processes_cpu_s(pids: list[int]) -> float:
    """The sum of :func:`process_cpu_s` over ``pids``."""
    return sum(process_cpu_s(pid) for pid in pids)


def machine_busy_cpu_s() -> float:
    """Busy (non-idle) CPU seconds of the whole machine so far, all cores added."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS
