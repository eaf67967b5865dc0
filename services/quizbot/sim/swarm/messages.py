"""What a simulated player reads in a message the bot sent them.

The swarm sees the bot only through delivered messages, as a person does:
the lobby (a Join button ``j:<session>``, the host's Start ``s:<session>``
and, for private-chat quizzes, the ``?start=join-<session>`` link), question
messages (one button per option, ``a:<session>:<position>:<option>``) and
the final leaderboard. A game in the polls style asks each question as a
quiz poll instead, with "How did I do?" (``h:<session>:<position>``) under it.
Texts arrive as Telegram shows them: the HTML markup
already parsed away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from quizbot.domain.callbacks import (
    AnotherQuizData,
    AnswerData,
    CloseEarlyData,
    JoinData,
    PlayAgainData,
    QuestionResultData,
    ResultData,
    StartData,
    decode_callback,
)

_JOIN_LINK = re.compile(r"https://t\.me/\w+\?start=(join-\d+)")
# The headings of domain.results.leaderboard_text: finished, or stopped/abandoned.
_RESULTS = ("— final results", "Results so far:")
# The texts of domain.render.lobby_closed_message: nobody started it, or /stop.
_LOBBY_CLOSED = ("this lobby closed", "Cancelled by the host")


@dataclass(frozen=True, slots=True)
class Lobby:
    """A live quiz's lobby message."""

    session_id: int
    join_data: str
    start_data: str | None
    join_payload: str  # what a player sends as ``/start <payload>`` to join privately
    message: dict[str, Any]
    close_early_data: str | None = None  # the group host's "close when all answered"


@dataclass(frozen=True, slots=True)
class QuestionCard:
    """An open question: a message with its buttons in option order, or a quiz poll."""

    session_id: int
    position: int
    buttons: tuple[str, ...]  # callback_data of option 0, 1, …; empty for a poll
    text: str
    message: dict[str, Any]
    poll: dict[str, Any] | None = None  # the quiz poll, voted in with a poll_answer

    @property
    def option_count(self) -> int:
        """How many options the player can choose from."""
        return len(self.poll["options"]) if self.poll is not None else len(self.buttons)

    @property
    def open_s(self) -> float | None:
        """A poll's open_period: Telegram lets nobody vote after it (None: buttons)."""
        if self.poll is None or not self.poll.get("open_period"):
            return None
        return float(self.poll["open_period"])


def button_data(message: dict[str, Any]) -> list[str]:
    """The callback_data of every inline button under ``message``, row by row."""
    markup = message.get("reply_markup") or {}
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", ())
        for button in row
        if "callback_data" in button
    ]


def read_lobby(message: dict[str, Any]) -> Lobby | None:
    """The lobby in ``message``, or None when it is not a lobby."""
    join: JoinData | None = None
    start: StartData | None = None
    close_early: CloseEarlyData | None = None
    for data in button_data(message):
        decoded = decode_callback(data)
        if isinstance(decoded, JoinData):
            join = decoded
        elif isinstance(decoded, StartData):
            start = decoded
        elif isinstance(decoded, CloseEarlyData) and decoded.on:
            close_early = decoded
    if join is None:
        return None
    link = _JOIN_LINK.search(message.get("text", ""))
    payload = link.group(1) if link else f"join-{join.session_id}"
    return Lobby(
        session_id=join.session_id,
        join_data=join.encode(),
        start_data=start.encode() if start else None,
        join_payload=payload,
        message=message,
        close_early_data=close_early.encode() if close_early else None,
    )


def read_question(message: dict[str, Any]) -> QuestionCard | None:
    """The open question in ``message``, or None (another message, or closed)."""
    if "poll" in message:
        return _read_poll(message)
    answers: dict[int, AnswerData] = {}
    for data in button_data(message):
        decoded = decode_callback(data)
        if isinstance(decoded, AnswerData):
            answers[decoded.option] = decoded
    if not answers:
        return None
    first = next(iter(answers.values()))
    same = all(
        a.session_id == first.session_id and a.position == first.position for a in answers.values()
    )
    if not same or sorted(answers) != list(range(len(answers))):
        return None  # not a keyboard the bot makes
    return QuestionCard(
        session_id=first.session_id,
        position=first.position,
        buttons=tuple(answers[i].encode() for i in range(len(answers))),
        text=message.get("text", ""),
        message=message,
    )


def _read_poll(message: dict[str, Any]) -> QuestionCard | None:
    """An open quiz poll of a game: its question is known by its "How did I do?" button."""
    poll: dict[str, Any] = message["poll"]
    if poll.get("is_closed") or poll.get("type") != "quiz":
        return None
    asks = [decode_callback(data) for data in button_data(message)]
    found = [a for a in asks if isinstance(a, QuestionResultData)]
    if len(found) != 1:
        return None
    return QuestionCard(
        session_id=found[0].session_id,
        position=found[0].position,
        buttons=(),
        text=poll.get("question", ""),
        message=message,
        poll=poll,
    )


def is_results(message: dict[str, Any]) -> bool:
    """Whether ``message`` is a live quiz's final results (the board or a personal one).

    Its only buttons, if any, are the after-game ones (My result, Play again, Another quiz).
    """
    first_line = message.get("text", "").split("\n", 1)[0]
    buttons = [decode_callback(data) for data in button_data(message)]
    after_game = (ResultData, PlayAgainData, AnotherQuizData)
    return all(isinstance(b, after_game) for b in buttons) and any(
        marker in first_line for marker in _RESULTS
    )


def is_closed_lobby(message: dict[str, Any]) -> bool:
    """Whether ``message`` is a lobby that ended before its game started."""
    text = message.get("text", "")
    return not button_data(message) and any(marker in text for marker in _LOBBY_CLOSED)
