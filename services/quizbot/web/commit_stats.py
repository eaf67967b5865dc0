"""The group commit's figures: what /monitoring/stats shows and statsd receives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from quizbot.web.meter import Meter
from quizbot.web.verdicts import Verdict

# Batch size buckets for /monitoring/stats: upper bounds, inclusive.
BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


@dataclass
class CommitStats:
    """Figures of one worker's commits since it started."""

    mode: str
    batches: int = 0
    answers: int = 0
    failed_batches: int = 0
    flush_ms_total: float = 0.0
    flush_ms_max: float = 0.0
    largest_batch: int = 0
    sizes: dict[str, int] = field(default_factory=lambda: {f"<={b}": 0 for b in BUCKETS})

    def add(self, size: int, flush_ms: float, ok: bool) -> None:
        """Count one flush."""
        self.batches += 1
        if not ok:
            self.failed_batches += 1
            return
        self.answers += size
        self.flush_ms_total += flush_ms
        self.flush_ms_max = max(self.flush_ms_max, flush_ms)
        self.largest_batch = max(self.largest_batch, size)
        bucket = next((b for b in BUCKETS if size <= b), BUCKETS[-1])
        self.sizes[f"<={bucket}"] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures, with the mean batch size and flush time."""
        ok = self.batches - self.failed_batches
        return {
            "mode": self.mode,
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "answers": self.answers,
            "mean_batch": round(self.answers / ok, 2) if ok else 0.0,
            "largest_batch": self.largest_batch,
            "flush_ms_mean": round(self.flush_ms_total / ok, 3) if ok else 0.0,
            "flush_ms_max": round(self.flush_ms_max, 3),
            "batch_sizes": dict(self.sizes),
        }


def record(meter: Meter, size: int, flush_ms: float, outcomes: Sequence[object]) -> None:
    """statsd figures of one flush (on the event loop thread).

    ``outcomes`` holds a :class:`Verdict` per committed answer and an exception
    per answer that did not commit; a flush with any of those counts as failed.
    """
    verdicts = [o for o in outcomes if isinstance(o, Verdict)]
    if len(verdicts) < len(outcomes):
        meter.incr("commit.failed")
    if not verdicts:
        return
    meter.timing("commit.batch_size", size)
    meter.timing("commit.flush_ms", flush_ms)
    for verdict in verdicts:
        meter.incr(f"answers.{verdict.value}")
