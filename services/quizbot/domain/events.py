"""Events: the facts that drive a session (see `game.step`).

The web tier records joins, starts and answers; the writer's game clock
sends `Deadline` and `EveryoneAnswered`. Closing a question shows its
statistics, which only the store can count, so the events that can close a
question carry an optional `QuestionStats`.
"""

from __future__ import annotations

from dataclasses import dataclass

from quizbot.domain.session import QuestionStats


@dataclass(frozen=True, slots=True)
class Join:
    """A player joined; sent once per new participant (the store dedupes)."""

    player_id: int
    chat_id: int  # the chat where this player gets the quiz's messages


@dataclass(frozen=True, slots=True)
class Start:
    """The host pressed Start in the lobby."""

    by_player_id: int


@dataclass(frozen=True, slots=True)
class SetCloseEarly:
    """The host of a group game chose, in the lobby, whether questions close early."""

    by_player_id: int
    on: bool


@dataclass(frozen=True, slots=True)
class AnswerRecorded:
    """`count` answers to the open question are now stored (a total, not a delta)."""

    count: int


@dataclass(frozen=True, slots=True)
class Deadline:
    """The game clock: sent once `state.deadline <= now`.

    `stats` (from the store) is shown in the reveal when a question closes.
    """

    stats: QuestionStats | None = None


@dataclass(frozen=True, slots=True)
class EveryoneAnswered:
    """Every participant answered the open question, so it closes early."""

    stats: QuestionStats | None = None


@dataclass(frozen=True, slots=True)
class Stop:
    """/stop; only the host, or an admin of the group, may stop a session.

    `by_admin`: the group's cached admin list names the player (the store knows).
    """

    by_player_id: int
    stats: QuestionStats | None = None
    by_admin: bool = False


@dataclass(frozen=True, slots=True)
class Abandon:
    """Nobody has done anything for `GameRules.abandon_after_s`."""

    stats: QuestionStats | None = None


Event = Join | Start | SetCloseEarly | AnswerRecorded | Deadline | EveryoneAnswered | Stop | Abandon
