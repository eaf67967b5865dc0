"""A play of a quiz: its mode, status and the state the game clock needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Mode(StrEnum):
    """Where a session is played."""

    SOLO = "solo"  # one player, in their private chat with the bot
    GROUP = "group"  # live, one message per question in a group chat
    PRIVATE = "private"  # live, each question broadcast to every participant's chat


class Style(StrEnum):
    """How a live session's questions are asked; chosen when the game starts."""

    BUTTONS = "buttons"  # a message with one inline button per option
    POLLS = "polls"  # a native Telegram quiz poll, answered by poll_answer updates


class Status(StrEnum):
    """Where a session is in its life; the values are stored in `sessions.status`."""

    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"
    STOPPED = "stopped"
    ABANDONED = "abandoned"

    @property
    def terminal(self) -> bool:
        """Finished, stopped or abandoned: no event changes the session any more."""
        return self in TERMINAL


TERMINAL = frozenset({Status.FINISHED, Status.STOPPED, Status.ABANDONED})


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything the rules need to know about a session, as stored in its row.

    `deadline` is the game clock: when the lobby expires, the open question
    closes or the reveal pause ends. `chat_id` is the group chat (GROUP) or
    the private chat of the solo player or the host.
    """

    session_id: int
    mode: Mode
    status: Status
    quiz_title: str
    question_count: int
    position: int  # 0-based; -1 in the lobby
    deadline: datetime | None
    chat_id: int
    host_id: int
    participant_count: int
    answered_count: int  # answers to the current question
    last_activity_at: datetime
    # Participants a PRIVATE broadcast reaches (their chat has not blocked the
    # bot); None when unknown, taken as every participant.
    reachable_count: int | None = None
    # GROUP only, the host's lobby option: close a question once every joined
    # player has answered. Solo and private live games always do.
    close_when_all_answered: bool = False
    style: Style = Style.BUTTONS


@dataclass(frozen=True, slots=True)
class QuestionStats:
    """How a question went, counted by the store when it closes."""

    answered: int
    correct: int
