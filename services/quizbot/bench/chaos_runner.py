"""The chaos bench's fault thread: the planned faults, one after another, while the quiz runs.

Each fault waits its gap (drawn from the seed), is caused, and is then given
time to recover (answers acknowledged again, messages flowing or none due)
before the next one, so that each fault is measured on its own.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa

from quizbot.bench.probe import AnswerProbe, ProbeResult
from quizbot.stack.faults import FaultError, Faults, Injected
from quizbot.stack.live import Progress

T = TypeVar("T")
OVER = ("finished", "stopped", "abandoned")


@dataclass
class FaultRunner:
    """Causes the planned faults while the quiz runs, one after another."""

    faults: Faults
    plan: list[tuple[str, float]]
    probe: AnswerProbe
    rng: random.Random
    accepted: Callable[[], int]
    outbox_idle: Callable[[], bool]
    progress: Progress | None = None
    done: list[tuple[Injected | None, str, str | None]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set() and (self.progress is None or self._status() != "question"):
            time.sleep(0.1)
        for kind, gap in self.plan:
            if self.stop.wait(gap) or self._status() in OVER:
                self.done.append((None, kind, "the quiz ended before this fault"))
                continue
            print(f"[bench chaos] {kind}", file=sys.stderr)
            try:
                injected = self.faults.inject(kind, lambda xs: self.rng.sample(xs, len(xs)))
            except (FaultError, OSError) as exc:
                self.done.append((None, kind, str(exc)))
                continue
            self.done.append((injected, kind, None))
            self._settle(injected.back_at)

    def _status(self) -> str:
        return self.progress.session_status if self.progress else ""

    def _settle(self, back: float, limit_s: float = 60.0) -> None:
        # Let the product recover before the next fault, so each is measured alone:
        # answers acknowledged again, and messages flowing (or none due).
        deadline = time.monotonic() + limit_s
        before = quietly(self.accepted, 0)
        while not self.stop.is_set() and time.monotonic() < deadline:
            probes: list[ProbeResult] = list(self.probe.results)
            acked = any(p.acknowledged and p.done_at >= back + 0.5 for p in probes)
            if acked and (quietly(self.accepted, 0) > before or quietly(self.outbox_idle, False)):
                return
            time.sleep(0.2)


def quietly(read: Callable[[], T], default: T) -> T:
    # The parts read here may be the ones that are down.
    try:
        return read()
    except (OSError, ValueError, sa.exc.DBAPIError):
        return default
