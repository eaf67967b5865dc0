"""Telegram's flood limits, kept by the sender before Telegram has to: pure, on an injected clock.

Telegram allows about 30 messages per second per bot (up to 1000/s with paid
broadcasts), about one per second in one chat with short bursts, and 20 per
minute in a group. The global and per-chat limits are GCRA paces (a token bucket expressed as
a "theoretical arrival time"): ``reserve`` hands out send times that never
exceed ``rate`` per second after an initial ``burst``. The group limit is a
sliding window: never more than the limit in any 60 seconds, which any
bucket-shaped reading of "20 per minute" also accepts.

Our bursts are smaller than Telegram's on purpose. A message leaves at its
reserved time but reaches Telegram a little later, by a varying amount; a
bucket that is as full as Telegram's would then sometimes look one message too
fast to Telegram. Keeping one message of headroom per chat and per group
(PER_CHAT_BURST - 1, PER_GROUP_PER_MIN - 1), and only
a tenth of a second's worth globally, absorbs that jitter, at no cost to the
long-run rate.

A 429 that still arrives (another process shares the token, or Telegram is
stricter than documented) carries only ``retry_after``, not the scope that was
exceeded. Our decision: it pauses the chat it came from for ``retry_after``;
when 429s for several different chats arrive within one second, the global
limit was the one hit, and every chat pauses for the latest ``retry_after``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Calls Telegram does not count against the message limits.
EXEMPT = frozenset({"answercallbackquery", "sendchataction", "getme", "getupdates"})
# How many distinct chats must see a 429 within GLOBAL_WINDOW_S to pause everything.
GLOBAL_CHATS = 3
GLOBAL_WINDOW_S = 1.0
# Telegram's paid-broadcast ceiling.
PAID_BROADCAST_RATE = 1000.0


def limited(method: str) -> bool:
    """Whether ``method`` counts against the flood limits."""
    return method.lower() not in EXEMPT


@dataclass(frozen=True, slots=True)
class Limits:
    """The configured limits; a rate of 0 or less means no limit for that scope."""

    global_per_s: float = 30.0
    chat_per_s: float = 1.0
    chat_burst: int = 3
    group_per_min: float = 20.0

    @classmethod
    def from_settings(
        cls,
        send_rate_per_s: float,
        paid_broadcast: bool,
        per_chat_per_s: float,
        per_chat_burst: int,
        per_group_per_min: float,
    ) -> Limits:
        """The limits for the given settings; paid broadcast raises the global rate to 1000/s."""
        rate = PAID_BROADCAST_RATE if paid_broadcast else send_rate_per_s
        return cls(rate, per_chat_per_s, per_chat_burst, per_group_per_min)


class Pace:
    """GCRA: at most ``rate`` per second, after a burst of ``burst``."""

    __slots__ = ("interval", "tat", "tolerance")

    def __init__(self, rate: float, burst: float) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (max(1.0, burst) - 1.0) * self.interval
        self.tat = -math.inf

    def ready_at(self) -> float:
        """The earliest time the next call may go."""
        return self.tat - self.tolerance

    def reserve(self, now: float) -> float:
        """Take the next slot; returns the time it starts (now, or later)."""
        at = max(now, self.tat - self.tolerance)
        self.tat = max(self.tat, at) + self.interval
        return at

    def idle(self, now: float) -> bool:
        """Whether this pace is as good as new (its full burst is available)."""
        return self.tat <= now


class Window:
    """At most ``count`` calls in any ``period`` seconds (a sliding window of send times)."""

    __slots__ = ("period", "times")

    def __init__(self, count: int, period: float) -> None:
        self.period = period
        self.times: deque[float] = deque(maxlen=max(1, count))

    def ready_at(self) -> float:
        """The earliest time the next call may go."""
        if len(self.times) < (self.times.maxlen or 1):
            return -math.inf
        return self.times[0] + self.period

    def reserve(self, at: float) -> float:
        """Record a call at ``at`` (not before :meth:`ready_at`)."""
        self.times.append(at)
        return at

    def idle(self, now: float) -> bool:
        """Whether no call in the window still counts."""
        return not self.times or self.times[-1] + self.period <= now


class RateLimiter:
    """The sender's view of every limit: global, per chat, per group, and 429 pauses."""

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._global: Pace | None = None
        if limits.global_per_s > 0:
            self._global = Pace(limits.global_per_s, math.ceil(limits.global_per_s / 10))
        self._chats: dict[int, Pace] = {}
        self._groups: dict[int, Window] = {}
        self._paused: dict[int, float] = {}
        self.global_paused_until = 0.0
        self._recent_429: deque[tuple[float, int]] = deque()

    def chat_ready_at(self, chat_id: int) -> float:
        """When ``chat_id`` may get its next message, as far as its own scopes go."""
        at = max(self._paused.get(chat_id, 0.0), self.global_paused_until)
        chat = self._chats.get(chat_id)
        if chat is not None:
            at = max(at, chat.ready_at())
        group = self._groups.get(chat_id)
        if group is not None:
            at = max(at, group.ready_at())
        return at

    def reserve(self, chat_id: int, method: str) -> float:
        """Take the slots for one call to ``chat_id``; returns the seconds to wait before it.

        The chat and group paces are charged at the time the global pace grants,
        not before: charging them earlier would let a global queue squeeze two
        messages of one chat closer together than the chat allows.
        """
        now = self.clock()
        at = max(now, self.chat_ready_at(chat_id))
        if not limited(method):
            return at - now
        lim = self.limits
        if self._global is not None:
            at = self._global.reserve(at)
        if lim.chat_per_s > 0:
            self._pace(self._chats, chat_id, lim.chat_per_s, lim.chat_burst - 1).reserve(at)
        if chat_id < 0 and lim.group_per_min > 0:
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = Window(int(lim.group_per_min) - 1, 60.0)
            group.reserve(at)
        return at - now

    def global_wait(self) -> float:
        """Seconds left of a global pause (0 when none): re-checked right before sending."""
        return max(0.0, self.global_paused_until - self.clock())

    def pause_all(self, seconds: float) -> None:
        """Send nothing to any chat for ``seconds`` (a rejected token's wait)."""
        self.global_paused_until = max(self.global_paused_until, self.clock() + seconds)

    def on_429(self, chat_id: int, retry_after: float) -> str:
        """Pause the scope a 429 covered; returns that scope, ``chat`` or ``global``."""
        now = self.clock()
        until = now + retry_after
        self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)
        recent = self._recent_429
        recent.append((now, chat_id))
        while recent and recent[0][0] < now - GLOBAL_WINDOW_S:
            recent.popleft()
        if len({chat for _, chat in recent}) >= GLOBAL_CHATS:
            self.global_paused_until = max(self.global_paused_until, until)
            return "global"
        return "chat"

    def forget_idle(self) -> int:
        """Drop per-chat state that no longer limits anything; returns how many entries."""
        now = self.clock()
        dropped = 0
        for table in (self._chats, self._groups):
            idle = [c for c, scope in table.items() if scope.idle(now)]
            for chat_id in idle:
                del table[chat_id]
            dropped += len(idle)
        for chat_id in [c for c, until in self._paused.items() if until <= now]:
            del self._paused[chat_id]
            dropped += 1
        return dropped

    @staticmethod
    def _pace(table: dict[int, Pace], key: int, rate: float, burst: float) -> Pace:
        pace = table.get(key)
        if pace is None:
            pace = table[key] = Pace(rate, burst)
        return pace
