"""What the sender does about a failed Bot API call: one decision per error.

python-telegram-bot already sorts Telegram's answers into exception classes;
``decide`` maps each onto exactly one of the sender's decisions, so the
policy lives in one pure, table-tested function and the sender only
executes it:

=====================================  ==========================================
error                                  decision
=====================================  ==========================================
RetryAfter (429)                       Wait(retry_after): pause the scope it hit
Forbidden (403: blocked, kicked)       Block: stop sending to that chat
ChatMigrated (400 migrate_to_chat_id)  Migrate(new_chat_id): move the chat id
BadRequest "message is not modified"   Success: the message already shows it
BadRequest "poll has already been      Success: Telegram closed it on time
closed" (stopPoll)
other BadRequest (400)                 Drop: permanent, dead-letter the row
TimedOut, NetworkError (5xx, I/O)      Retry: transient, back off and retry
InvalidToken 404 "method not found"    Drop: this call can never succeed
InvalidToken 401 (wrong token)         Halt: no call can succeed until the token is
                                       fixed; send nothing, lose nothing
EndPointNotFound (401 or 404 once      the same, by the InvalidToken it wraps:
the Bot is initialized)                Halt for 401 (a revoked token), else Drop
Conflict (409)                         Drop
any other TelegramError, OSError       Retry
any other exception                    Drop (retrying the same input fails again)
=====================================  ==========================================

``TimedOut`` may hide a call Telegram did apply (the answer was lost), so
a retry can duplicate a message: delivery is at-least-once by design.
"""

from __future__ import annotations

import datetime as dtm
import warnings
from dataclasses import dataclass

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning


@dataclass(frozen=True, slots=True)
class Success:
    """Treat the call as done."""


@dataclass(frozen=True, slots=True)
class Wait:
    """Flood control: send nothing in the affected scope for ``seconds``."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Block:
    """The chat refuses the bot: stop sending to it."""

    reason: str


@dataclass(frozen=True, slots=True)
class Migrate:
    """The group became a supergroup: resend to ``new_chat_id``, remember the move."""

    new_chat_id: int


@dataclass(frozen=True, slots=True)
class Drop:
    """A permanent failure: dead-letter the message."""

    reason: str


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure: retry after a backoff."""

    reason: str


@dataclass(frozen=True, slots=True)
class Halt:
    """Nothing can succeed (the token is wrong): stop and let the operator fix it."""

    reason: str


Decision = Success | Wait | Block | Migrate | Drop | Retry | Halt

_NOT_MODIFIED = "message is not modified"
# A quiz poll closes itself at its open_period; the clock's stopPoll may come after.
_POLL_CLOSED = "poll has already been closed"


def decide(exc: BaseException) -> Decision:
    """The sender's decision for an exception raised by a Bot API call."""
    # Order matters: BadRequest and TimedOut are subclasses of NetworkError.
    if isinstance(exc, RetryAfter):
        return Wait(retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Migrate(int(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return Block(exc.message)
    if isinstance(exc, BadRequest):
        if _NOT_MODIFIED in exc.message.lower() or _POLL_CLOSED in exc.message.lower():
            return Success()
        return Drop(exc.message)
    if isinstance(exc, NetworkError):
        return Retry(exc.message)
    if isinstance(exc, InvalidToken):
        if "method not found" in exc.message.lower():
            return Drop(exc.message)
        return Halt(exc.message)
    if isinstance(exc, EndPointNotFound):
        # Bot.do_api_request turns every 401 and 404 after getMe into this;
        # only the InvalidToken it wraps tells a revoked token from a bad method.
        cause = exc.__cause__
        if isinstance(cause, InvalidToken) and "not found" not in cause.message.lower():
            return Halt(cause.message)
        return Drop(exc.message)
    if isinstance(exc, Conflict):
        return Drop(exc.message)
    if isinstance(exc, TelegramError | OSError | TimeoutError):
        return Retry(str(exc) or exc.__class__.__name__)
    return Drop(f"{exc.__class__.__name__}: {exc}")


def retry_after_seconds(exc: RetryAfter) -> float:
    """``exc.retry_after`` in seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def backoff(attempt: int, base: float = 0.5, cap: float = 60.0, jitter: float = 0.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = first retry).

    Exponential (``base * 2**(attempt-1)``) up to ``cap``, then spread by
    "equal jitter": ``jitter`` in [0, 1) (the caller's random draw) moves the
    wait between half and all of it, so retries of many rows after one
    outage do not arrive in lockstep, while none retries sooner than half
    the backoff.
    """
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    exponent = min(max(attempt, 1) - 1, 64)
    delay = min(cap, base * 2.0**exponent)
    return delay / 2.0 + delay / 2.0 * jitter
