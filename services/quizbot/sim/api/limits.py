"""Telegram's flood limits, as token buckets on an injected monotonic clock.

Telegram documents its limits only roughly ("about 30 messages per second",
"no more than one message per second in a single chat, short bursts are
fine", "no more than 20 messages per minute in a group"). The simulator
pins them down as token buckets so a sender can be tested against exact,
documented numbers:

- global, per bot token: ``global_rate``/s, bucket of ``global_burst``.
  Calls with ``allow_paid_broadcast=true`` draw from a separate
  ``paid_rate``/s bucket (Telegram: up to 1000 msg/s, for a fee) instead.
- per chat: ``chat_rate``/s, bucket of ``chat_burst``.
- per group (negative chat id): additionally ``group_per_minute``/60 per
  second, bucket of ``group_per_minute``.

A call passes only if every bucket it touches has a whole token; a refused
call takes nothing. The refusal carries Telegram's integer ``retry_after``:
the whole seconds (rounded up, at least 1) until every bucket it needs
holds a token again.

Only calls that put or change a message in a chat count (``LIMITED``);
answerCallbackQuery, deleteMessage, getMe and the webhook calls do not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

LIMITED_PREFIXES = ("send", "editmessage", "copymessage", "forwardmessage")
UNLIMITED = frozenset({"sendchataction"})
LIMITED = frozenset({"stoppoll"})


def counts(method: str) -> bool:
    """Whether a call of ``method`` (any case) is subject to the flood limits."""
    name = method.lower()
    if name in UNLIMITED:
        return False
    return name in LIMITED or name.startswith(LIMITED_PREFIXES)


@dataclass(frozen=True, slots=True)
class LimitConfig:
    """The numbers behind the limits (defaults: Telegram's documented ones)."""

    global_rate: float = 30.0
    global_burst: float = 30.0
    paid_rate: float = 1000.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    group_per_minute: float = 20.0


class Bucket:
    """A token bucket: ``rate`` tokens per second, holding at most ``capacity``."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a whole token is available (0 when one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


class RateLimiter:
    """The flood limits of one simulated Telegram, keyed by token and chat."""

    def __init__(self, config: LimitConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self._global: dict[int | str, Bucket] = {}
        self._paid: dict[int | str, Bucket] = {}
        self._chats: dict[int | str, Bucket] = {}
        self._groups: dict[int | str, Bucket] = {}

    def acquire(self, token: str, chat_id: int | str | None, paid: bool = False) -> int:
        """Take a token for one message; 0 on success, else Telegram's retry_after."""
        now = self.clock()
        c = self.config
        buckets = [
            _bucket(self._paid, token, c.paid_rate, c.paid_rate, now)
            if paid
            else _bucket(self._global, token, c.global_rate, c.global_burst, now)
        ]
        if chat_id is not None:
            buckets.append(_bucket(self._chats, chat_id, c.chat_rate, c.chat_burst, now))
            if isinstance(chat_id, int) and chat_id < 0:
                per_second = c.group_per_minute / 60.0
                buckets.append(_bucket(self._groups, chat_id, per_second, c.group_per_minute, now))
        wait = max(b.wait(now) for b in buckets)
        if wait > 0.0:
            return max(1, math.ceil(wait - 1e-9))
        for b in buckets:
            b.tokens -= 1.0
        return 0

    def reset(self) -> None:
        """Forget all buckets (every scope starts full again)."""
        self._global.clear()
        self._paid.clear()
        self._chats.clear()
        self._groups.clear()


def _bucket(
    table: dict[int | str, Bucket],
    key: int | str,
    rate: float,
    capacity: float,
    now: float,
) -> Bucket:
    bucket = table.get(key)
    if bucket is None:
        bucket = table[key] = Bucket(rate, capacity, now)
    return bucket
