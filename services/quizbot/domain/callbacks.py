"""The callback_data codec for inline buttons.

Buttons carry everything the web tier needs to record a press without a
lookup: `a:<session>:<position>:<option>` (answer), `j:<session>` (join a
lobby), `s:<session>` (the host's Start button), `r:<session>` (📊 My result
on a final leaderboard) and `h:<session>:<position>` (How did I do? on a
reveal), `o:<session>:<0|1>` (the host's close-early option in a group lobby),
`p:<session>` (Play again: the same quiz, same mode) and `n` (Another quiz). Decoding is strict: the
data comes from a client, so anything not produced by `encode` is `None`.
One canonical spelling per value (no signs, spaces or leading zeros) also
means one button can never be counted as two different answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quizbot.domain import limits

_NUMBER = r"(0|[1-9][0-9]*)"  # [0-9], not \d: \d also matches non-ASCII digits
_ANSWER = re.compile(rf"a:{_NUMBER}:{_NUMBER}:{_NUMBER}")
_JOIN = re.compile(rf"j:{_NUMBER}")
_START = re.compile(rf"s:{_NUMBER}")
_RESULT = re.compile(rf"r:{_NUMBER}")
_AGAIN = re.compile(rf"p:{_NUMBER}")
_ANOTHER = "n"
_OPTION = re.compile(rf"o:{_NUMBER}:([01])")
_QUESTION_RESULT = re.compile(rf"h:{_NUMBER}:{_NUMBER}")


def _check_session(session_id: int) -> None:
    if not 0 <= session_id <= limits.SESSION_ID_MAX:
        raise ValueError(f"session id {session_id} out of range")


@dataclass(frozen=True, slots=True)
class AnswerData:
    """A press of option `option` (0-based) on question `position` (0-based)."""

    session_id: int
    position: int
    option: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)
        if not 0 <= self.position < limits.QUESTIONS_MAX:
            raise ValueError(f"position {self.position} out of range")
        if not 0 <= self.option < limits.OPTIONS_MAX:
            raise ValueError(f"option {self.option} out of range")

    def encode(self) -> str:
        """The callback_data string, at most 27 bytes (see `limits`)."""
        return f"a:{self.session_id}:{self.position}:{self.option}"


@dataclass(frozen=True, slots=True)
class JoinData:
    """A press of Join in a live quiz's lobby."""

    session_id: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)

    def encode(self) -> str:
        """The callback_data string."""
        return f"j:{self.session_id}"


@dataclass(frozen=True, slots=True)
class StartData:
    """A press of Start in a live quiz's lobby (accepted from the host only)."""

    session_id: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)

    def encode(self) -> str:
        """The callback_data string."""
        return f"s:{self.session_id}"


@dataclass(frozen=True, slots=True)
class ResultData:
    """A press of 📊 My result under a finished session's leaderboard."""

    session_id: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)

    def encode(self) -> str:
        """The callback_data string."""
        return f"r:{self.session_id}"


@dataclass(frozen=True, slots=True)
class QuestionResultData:
    """A press of "How did I do?" under the reveal of question `position`."""

    session_id: int
    position: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)
        if not 0 <= self.position < limits.QUESTIONS_MAX:
            raise ValueError(f"position {self.position} out of range")

    def encode(self) -> str:
        """The callback_data string."""
        return f"h:{self.session_id}:{self.position}"


@dataclass(frozen=True, slots=True)
class CloseEarlyData:
    """The host's choice in a group lobby: close questions once every joined player answered."""

    session_id: int
    on: bool

    def __post_init__(self) -> None:
        _check_session(self.session_id)

    def encode(self) -> str:
        """The callback_data string (an explicit value, so a retried press changes nothing)."""
        return f"o:{self.session_id}:{int(self.on)}"


@dataclass(frozen=True, slots=True)
class PlayAgainData:
    """A press of 🔁 Play again under a finished session's results."""

    session_id: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)

    def encode(self) -> str:
        """The callback_data string."""
        return f"p:{self.session_id}"


@dataclass(frozen=True, slots=True)
class AnotherQuizData:
    """A press of 📚 Another quiz under a finished session's results."""

    def encode(self) -> str:
        """The callback_data string."""
        return _ANOTHER


CallbackData = (
    AnswerData
    | JoinData
    | StartData
    | ResultData
    | QuestionResultData
    | CloseEarlyData
    | PlayAgainData
    | AnotherQuizData
)


def decode_callback(data: str) -> CallbackData | None:
    """Parse callback_data from Telegram; `None` for anything malformed or out of range."""
    if len(data) > limits.CALLBACK_DATA_MAX_BYTES:
        return None
    try:
        if match := _ANSWER.fullmatch(data):
            session, position, option = (int(group) for group in match.groups())
            return AnswerData(session, position, option)
        if match := _JOIN.fullmatch(data):
            return JoinData(int(match.group(1)))
        if match := _START.fullmatch(data):
            return StartData(int(match.group(1)))
        if data == _ANOTHER:
            return AnotherQuizData()
        if match := _AGAIN.fullmatch(data):
            return PlayAgainData(int(match.group(1)))
        if match := _OPTION.fullmatch(data):
            return CloseEarlyData(int(match.group(1)), match.group(2) == "1")
        if match := _RESULT.fullmatch(data):
            return ResultData(int(match.group(1)))
        if match := _QUESTION_RESULT.fullmatch(data):
            session, position = (int(group) for group in match.groups())
            return QuestionResultData(session, position)
    except ValueError:  # a well-formed number out of range
        return None
    return None
