"""Effects: what a transition asks the outside world to do.

An `Effect` is one Bot API call that goes to the outbox in the same
transaction as the transition. A `Finish` asks the writer to compute and
store the results and send the leaderboard (see `game.results_effects`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quizbot.domain.session import Status


@dataclass(frozen=True, slots=True)
class Chat:
    """Send to one chat; its id goes into the params as `chat_id`."""

    chat_id: int


@dataclass(frozen=True, slots=True)
class Participants:
    """Send to every participant's chat (or only to `players`); expanded per participant.

    The writer narrows a broadcast to `players` to send each language its own text.
    """

    players: frozenset[int] | None = None


Audience = Chat | Participants


@dataclass(frozen=True, slots=True)
class Effect:
    """One Bot API call.

    `params` never holds `chat_id` (it comes from the audience) nor, for an
    edit, `message_id`: an edit names the `ref` of the message it edits in
    `edit_ref`, and the sender looks up the message id Telegram returned for
    that ref in the same chat. Per-chat ordering sends the original first.
    """

    method: str
    params: dict[str, object] = field(hash=False)
    audience: Audience
    ref: str | None = None
    edit_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """The session ended with `reason` (a terminal status); the writer writes results."""

    reason: Status


AnyEffect = Effect | Finish


def question_ref(session_id: int, position: int) -> str:
    """The ref of a question's message, edited when the question closes."""
    return f"q:{session_id}:{position}"


def parse_question_ref(ref: str | None) -> tuple[int, int] | None:
    """(session id, position) of a :func:`question_ref`; None for any other ref."""
    parts = (ref or "").split(":")
    if (
        len(parts) != 3
        or parts[0] != "q"
        or not all(p.isascii() and p.isdigit() for p in parts[1:])
    ):
        return None
    return int(parts[1]), int(parts[2])


def lobby_ref(session_id: int) -> str:
    """The ref of a live session's lobby message."""
    return f"lobby:{session_id}"
