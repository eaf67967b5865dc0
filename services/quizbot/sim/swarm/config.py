"""SwarmConfig: what one run of the player swarm is told."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quizbot.sim.api.updates import FIRST_USER_ID, GROUP_CHAT_ID

MODES = ("group", "private")
STYLES = ("buttons", "polls")


@dataclass(frozen=True)
class SwarmConfig:
    """One swarm run. Times are seconds; ``seed`` makes thinking and choices repeatable."""

    webhook_url: str
    api_url: str
    quiz: str
    secret: str | None = None
    players: int = 200
    mode: str = "group"
    accuracy: float = 0.7
    think_min_s: float = 0.5
    think_max_s: float = 3.0
    join_within_s: float = 1.0
    max_connections: int = 100
    seed: int | None = None
    timeout_s: float = 300.0
    group_chat_id: int = GROUP_CHAT_ID
    first_user_id: int = FIRST_USER_ID
    # The bot's token on the fake API: the swarm sets the webhook for it, and
    # replies in the webhook (the toasts) are calls of this token.
    token: str = "100000:swarm"
    answers_file: Path | None = None
    # The host's lobby choice in a group game: close each question once every
    # joined player answered. Every swarm player joins in the lobby, so it shuts
    # no one out; False plays each question its full time.
    close_early: bool = True
    # How the bot asks: "buttons" (callback presses) or "polls" (quiz polls,
    # voted in with poll_answer updates); the host asks for it with /live.
    style: str = "buttons"
    # Group games: the last ``late_joiners`` players skip the lobby and the first
    # question, then join by answering, each after every lobby player could have
    # (their think time is think_max_s plus a usual one).
    late_joiners: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, not {self.style!r}")
        if self.players < 1:
            raise ValueError("a live quiz needs at least one player (the host)")
        if not 0 <= self.late_joiners < self.players:
            raise ValueError("late_joiners must leave the host in the lobby: 0 <= it < players")
        if self.late_joiners and self.mode != "group":
            raise ValueError("late joiners join by answering, which only a group game allows")
        if not 0.0 <= self.accuracy <= 1.0:
            raise ValueError("accuracy is a probability, 0-1")
        if not 0.0 <= self.think_min_s <= self.think_max_s:
            raise ValueError("think times need 0 <= think_min_s <= think_max_s")
