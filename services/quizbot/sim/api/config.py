"""SimConfig: everything a simulated Telegram can be told at start-up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from quizbot.sim.api.faults import FaultConfig
from quizbot.sim.api.limits import LimitConfig


@dataclass
class SimConfig:
    """The fake Bot API's settings.

    ``token`` None accepts any bot token (each token has its own global
    flood bucket); a set token answers 401 to the others. ``limits`` False
    turns every flood limit off (benchmarks of the sender's own ceiling).
    The journals keep at most ``max_calls`` accepted calls and
    ``max_updates`` feed entries, dropping the oldest half when full.
    Updates are numbered from ``first_update_id`` on.
    ``webhook_round_trip_s`` is the network's round trip added to each
    webhook request (0: the bot is as near as loopback).
    """

    token: str | None = None
    bot_id: int = 7_000_000_001
    bot_username: str = "quizbot_sim_bot"
    bot_name: str = "Quizbot Sim"
    limits: bool = True
    rates: LimitConfig = field(default_factory=LimitConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    max_calls: int = 1_000_000
    max_updates: int = 1_000_000
    max_messages_per_chat: int = 10_000
    first_update_id: int = 1
    webhook_round_trip_s: float = 0.0
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time

    @classmethod
    def from_cli(
        cls,
        *,
        rate: float = 30.0,
        paid_rate: float = 1000.0,
        per_chat: float = 1.0,
        per_chat_burst: float = 3.0,
        group_per_min: float = 20.0,
        no_limits: bool = False,
        blocked: Iterable[int | str] = (),
        migrated: Iterable[str] = (),
        error_rate: float = 0.0,
        slow_ms: int = 0,
        slow_rate: float = 1.0,
        drop_rate: float = 0.0,
        seed: int | None = None,
        token: str | None = None,
        username: str = "quizbot_sim_bot",
        webhook_rtt_ms: float = 0.0,
    ) -> SimConfig:
        """Build a config from command-line style values.

        ``migrated`` takes ``"OLD=NEW"`` pairs of chat ids, e.g.
        ``"-4001=-1004001"``. The global burst equals one second of ``rate``.
        """
        pairs = dict(item.split("=", 1) for item in migrated)
        return cls(
            token=token,
            # Telegram's numbering goes on across its restarts, and a bot drops
            # an update_id it has processed before: a simulator restarted
            # against the same bot must not start again from 1. Numbered from
            # its start time in microseconds, it stays above every id it gave
            # before unless it gave over a million a second.
            first_update_id=int(time.time() * 1_000_000),
            bot_username=username,
            webhook_round_trip_s=webhook_rtt_ms / 1000.0,
            limits=not no_limits,
            rates=LimitConfig(
                global_rate=rate,
                global_burst=rate,
                paid_rate=paid_rate,
                chat_rate=per_chat,
                chat_burst=per_chat_burst,
                group_per_minute=group_per_min,
            ),
            faults=FaultConfig(
                blocked={int(c) for c in blocked},
                migrated={int(k): int(v) for k, v in pairs.items()},
                error_rate=error_rate,
                slow_ms=slow_ms,
                slow_rate=slow_rate,
                drop_rate=drop_rate,
                seed=seed,
            ),
        )

    def bot_user(self) -> dict[str, object]:
        """The bot's Telegram User object (what getMe returns)."""
        bot_id = self.bot_id
        if self.token and self.token.split(":", 1)[0].isdigit():
            bot_id = int(self.token.split(":", 1)[0])
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
