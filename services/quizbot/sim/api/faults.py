"""Scripted faults: what can go wrong between a bot and Telegram.

Chat faults answer like Telegram does for that chat: a user who blocked the
bot (403), a group that became a supergroup (400 with
``migrate_to_chat_id``; the new id works), a chat the bot cannot see (400
"chat not found"). Transport faults hit any Bot API call: a 5xx from
Telegram's front end, a slow answer, a connection closed with no answer.

Each transport fault fires for the next K calls and/or with a probability
drawn from one seeded RNG, so a run with the same seed and call order
fails the same way. ``methods`` narrows transport faults to some methods
(e.g. only sendMessage, so the getMe a Bot makes at start-up is spared).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from quizbot.sim.api import protocol


@dataclass
class FaultConfig:
    """The fault script; every field can also be changed at run time."""

    blocked: set[int] = field(default_factory=set)
    migrated: dict[int, int] = field(default_factory=dict)
    missing: set[int] = field(default_factory=set)
    error_rate: float = 0.0
    error_next: int = 0
    error_status: int = 502
    slow_ms: int = 0
    slow_rate: float = 1.0
    drop_rate: float = 0.0
    drop_next: int = 0
    # False: the request is lost (nothing applied). True: the call is applied
    # and its response lost, the case that makes a retrying client duplicate.
    drop_after: bool = False
    methods: set[str] = field(default_factory=set)
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class Transport:
    """The transport faults drawn for one call."""

    delay: float = 0.0
    error: bool = False
    drop: bool = False


CLEAN = Transport()


class Faults:
    """The live fault script with its RNG and countdowns."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self.config.methods = {m.lower() for m in self.config.methods}
        self.rng = random.Random(self.config.seed)

    def transport(self, method: str) -> Transport:
        """Draw the transport faults for one call of ``method`` (lower case)."""
        c = self.config
        if c.methods and method not in c.methods:
            return CLEAN
        if not (c.drop_next or c.drop_rate or c.error_next or c.error_rate or c.slow_ms):
            return CLEAN
        drop = self._fires("drop_next", c.drop_rate)
        error = not drop and self._fires("error_next", c.error_rate)
        delay = 0.0
        if c.slow_ms and (c.slow_rate >= 1.0 or self.rng.random() < c.slow_rate):
            delay = c.slow_ms / 1000.0
        return Transport(delay, error, drop)

    def chat(self, chat_id: int | str) -> protocol.ApiError | None:
        """Telegram's answer for a chat the script breaks, or None."""
        c = self.config
        if chat_id in c.migrated:
            return protocol.ApiError(
                400, protocol.MIGRATED, {"migrate_to_chat_id": c.migrated[chat_id]}
            )
        if chat_id in c.blocked:
            if isinstance(chat_id, int) and chat_id < 0:
                kicked = (
                    protocol.KICKED_SUPERGROUP if chat_id < -(10**12) else protocol.KICKED_GROUP
                )
                return protocol.ApiError(403, kicked)
            return protocol.ApiError(403, protocol.BLOCKED)
        if chat_id in c.missing:
            return protocol.ApiError(400, protocol.CHAT_NOT_FOUND)
        return None

    def error(self) -> protocol.ApiError:
        """The answer of an injected error: a 5xx, (``error_status`` 429) flood
        control with ``retry_after`` 1 s, or (401) a rejected token, as Telegram words them."""
        if self.config.error_status == 429:
            return protocol.retry_after(1)
        if self.config.error_status == 401:
            return protocol.ApiError(401, protocol.UNAUTHORIZED)
        return protocol.ApiError(self.config.error_status, protocol.BAD_GATEWAY)

    def update(self, patch: dict[str, Any]) -> None:
        """Apply a JSON patch: named fields are replaced, others kept.

        ``block``/``unblock`` add or remove chat ids from ``blocked``;
        ``seed`` re-seeds the RNG.
        """
        c = self.config
        known = {f.name for f in fields(FaultConfig)}
        unknown = patch.keys() - known - {"block", "unblock"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        for name, value in patch.items():
            if name == "block":
                c.blocked |= {int(v) for v in value}
            elif name == "unblock":
                c.blocked -= {int(v) for v in value}
            elif name in ("blocked", "missing"):
                setattr(c, name, {int(v) for v in value})
            elif name == "migrated":
                c.migrated = {int(k): int(v) for k, v in value.items()}
            elif name == "methods":
                c.methods = {str(v).lower() for v in value}
            elif name in ("error_rate", "slow_rate", "drop_rate"):
                setattr(c, name, float(value))
            elif name == "drop_after":
                c.drop_after = bool(value)
            elif name == "seed":
                c.seed = None if value is None else int(value)
                self.rng.seed(c.seed)
            else:
                setattr(c, name, int(value))

    def snapshot(self) -> dict[str, Any]:
        """The current script as JSON-ready data."""
        data = asdict(self.config)
        for name in ("blocked", "missing", "methods"):
            data[name] = sorted(data[name])
        data["migrated"] = {str(k): v for k, v in data["migrated"].items()}
        return data

    def _fires(self, countdown: str, rate: float) -> bool:
        left: int = getattr(self.config, countdown)
        if left > 0:
            setattr(self.config, countdown, left - 1)
            return True
        return rate > 0.0 and self.rng.random() < rate
