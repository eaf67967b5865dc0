"""The callback_data codec for inline buttons.

Buttons carry everything the web tier needs to record a press without a
lookup: `a:<session>:<position>:<option>[:<language>]` (answer; the language of
the question message when not English, so its toast speaks it), `j:<session>` (join a
lobby), `s:<session>` (the host's Start button), `r:<session>` (📊 My result
on a final leaderboard) and `h:<session>:<position>` (How did I do? on a
reveal), `o:<session>:<0|1>` (the host's close-early option in a group lobby),
`p:<session>` (Play again: the same quiz, same mode), `n` (Another quiz) and
`l:<language>` (a /language choice), `m:<o|d|D|y|t>:<quiz>` (a /myquizzes
button: open, delete, confirm the delete, export as .yaml or .txt, statistics, edit) and
`x:<session>` (a finished game's results as CSV, for the quiz's author). Decoding is strict: the
data comes from a client, so anything not produced by `encode` is `None`.
One canonical spelling per value (no signs, spaces or leading zeros) also
means one button can never be counted as two different answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quizbot.domain import limits
from quizbot.domain.language import DEFAULT, LANGUAGES

_NUMBER = r"(0|[1-9][0-9]*)"  # [0-9], not \d: \d also matches non-ASCII digits
_ANSWER = re.compile(rf"a:{_NUMBER}:{_NUMBER}:{_NUMBER}(?::([a-z]{{2,3}}))?")
_JOIN = re.compile(rf"j:{_NUMBER}")
_START = re.compile(rf"s:{_NUMBER}")
_RESULT = re.compile(rf"r:{_NUMBER}")
_AGAIN = re.compile(rf"p:{_NUMBER}")
_ANOTHER = "n"
_OPTION = re.compile(rf"o:{_NUMBER}:([01])")
_QUESTION_RESULT = re.compile(rf"h:{_NUMBER}:{_NUMBER}")
_LANGUAGE = re.compile(r"l:([a-z]{2,3})")
_MY_QUIZ = re.compile(rf"m:([odDytse]):{_NUMBER}")
_RESULTS = re.compile(rf"x:{_NUMBER}")
# quizzes.id is a PostgreSQL integer.
QUIZ_ID_MAX = 2**31 - 1


def _check_session(session_id: int) -> None:
    if not 0 <= session_id <= limits.SESSION_ID_MAX:
        raise ValueError(f"session id {session_id} out of range")


@dataclass(frozen=True, slots=True)
class AnswerData:
    """A press of option `option` (0-based) on question `position` (0-based)."""

    session_id: int
    position: int
    option: int
    language: str | None = None  # the question message's language; None: English

    def __post_init__(self) -> None:
        _check_session(self.session_id)
        if not 0 <= self.position < limits.QUESTIONS_MAX:
            raise ValueError(f"position {self.position} out of range")
        if not 0 <= self.option < limits.OPTIONS_MAX:
            raise ValueError(f"option {self.option} out of range")
        # One spelling per value: English is the absent suffix, never `:en`.
        if self.language is not None and (
            self.language == DEFAULT or self.language not in LANGUAGES
        ):
            raise ValueError(f"language {self.language!r} is not a translated one")

    def encode(self) -> str:
        """The callback_data string, at most 27 + 4 bytes (see `limits`)."""
        suffix = f":{self.language}" if self.language is not None else ""
        return f"a:{self.session_id}:{self.position}:{self.option}{suffix}"


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


@dataclass(frozen=True, slots=True)
class LanguageData:
    """A press of one language under /language (a two or three letter ISO 639 code)."""

    language: str

    def __post_init__(self) -> None:
        if not _LANGUAGE.fullmatch(f"l:{self.language}"):
            raise ValueError(f"language {self.language!r} is not an ISO 639 code")

    def encode(self) -> str:
        """The callback_data string."""
        return f"l:{self.language}"


@dataclass(frozen=True, slots=True)
class MyQuizData:
    """A press under /myquizzes on one of the presser's quizzes.

    ``action``: ``o`` open its card, ``d`` ask to delete it, ``D`` delete it
    (the confirmation), ``y``/``t`` export it as a .yaml/.txt file, ``s`` its
    statistics (what /stats says), ``e`` edit it in the chat.
    """

    action: str
    quiz_id: int

    def __post_init__(self) -> None:
        if self.action not in MY_QUIZ_ACTIONS or not 0 <= self.quiz_id <= QUIZ_ID_MAX:
            raise ValueError(f"not a /myquizzes button: {self.action!r} {self.quiz_id}")

    def encode(self) -> str:
        """The callback_data string."""
        return f"m:{self.action}:{self.quiz_id}"


MY_QUIZ_ACTIONS = frozenset("odDytse")


@dataclass(frozen=True, slots=True)
class ResultsData:
    """A press asking for a finished game's results as a CSV file (its quiz's owner only)."""

    session_id: int

    def __post_init__(self) -> None:
        _check_session(self.session_id)

    def encode(self) -> str:
        """The callback_data string."""
        return f"x:{self.session_id}"


CallbackData = (
    AnswerData
    | JoinData
    | StartData
    | ResultData
    | QuestionResultData
    | CloseEarlyData
    | PlayAgainData
    | AnotherQuizData
    | LanguageData
    | MyQuizData
    | ResultsData
)


def decode_callback(data: str) -> CallbackData | None:
    """Parse callback_data from Telegram; `None` for anything malformed or out of range."""
    if len(data) > limits.CALLBACK_DATA_MAX_BYTES:
        return None
    try:
        if match := _ANSWER.fullmatch(data):
            session, position, option = (int(group) for group in match.groups()[:3])
            return AnswerData(session, position, option, match.group(4))
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
        if match := _LANGUAGE.fullmatch(data):
            return LanguageData(match.group(1))
        if match := _MY_QUIZ.fullmatch(data):
            return MyQuizData(match.group(1), int(match.group(2)))
        if match := _RESULTS.fullmatch(data):
            return ResultsData(int(match.group(1)))
    except ValueError:  # a well-formed number out of range
        return None
    return None
