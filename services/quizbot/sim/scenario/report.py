"""What a scenario run saw: per user, per chat, the bot's errors and latencies."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0-100) of ``values``; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 1)


@dataclass
class ScenarioReport:
    """Counters filled in while the scenario runs; :meth:`as_dict` is the report."""

    users: int
    actions: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    seen: Counter[int] = field(default_factory=Counter)  # user id -> bot messages seen
    per_chat: Counter[int] = field(default_factory=Counter)  # chat id -> bot messages
    edits: int = 0
    latencies: list[float] = field(default_factory=list)  # action -> bot's next delivery, s
    blocked: int = 0
    toasts: int = 0
    alerts: int = 0
    started_at: float = 0.0
    ended_at: float = 0.0
    stopped_by: str = ""
    bot: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        per_user = [self.seen.get(u, 0) for u in self.seen] or [0]
        outcomes: dict[str, int] = self.bot.get("by_outcome", {})
        return {
            "users": self.users,
            "duration_s": round(self.ended_at - self.started_at, 2),
            "stopped_by": self.stopped_by,
            "actions": dict(self.actions),
            "refused": dict(self.refused),
            "seen": {
                "messages": sum(self.seen.values()),
                "edits": self.edits,
                "per_user_min": min(per_user),
                "per_user_median": statistics.median(per_user),
                "per_user_max": max(per_user),
                "toasts": self.toasts,
                "alerts": self.alerts,
            },
            "latency_ms": {
                "count": len(self.latencies),
                "p50": _ms(percentile(self.latencies, 50)),
                "p90": _ms(percentile(self.latencies, 90)),
                "p99": _ms(percentile(self.latencies, 99)),
                "max": _ms(max(self.latencies, default=None)),
            },
            "bot": {
                "calls_accepted": outcomes.get("200", 0),
                "rate_limited_429": outcomes.get("429", 0),
                "client_errors_4xx": {
                    k: n for k, n in outcomes.items() if k.isdigit() and 400 <= int(k) < 500
                },
                "by_method": self.bot.get("by_method", {}),
            },
            "blocked_the_bot": self.blocked,
            "messages_per_chat": {str(chat): n for chat, n in sorted(self.per_chat.items())},
        }
