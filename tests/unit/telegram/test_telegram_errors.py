"""Each Telegram error maps to exactly one sender decision; backoff is pure."""

from __future__ import annotations

import datetime as dtm
import warnings

import pytest
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
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from quizbot.telegram.errors import (
    Block,
    Decision,
    Drop,
    Halt,
    Migrate,
    Retry,
    Success,
    Wait,
    backoff,
    decide,
)

NOT_MODIFIED = (
    "Message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)

with warnings.catch_warnings():
    # PTB warns, while building RetryAfter, that retry_after will become a timedelta.
    warnings.simplefilter("ignore", PTBDeprecationWarning)
    FLOOD = RetryAfter(7)
    FLOOD_TIMEDELTA = RetryAfter(dtm.timedelta(seconds=3))


def endpoint_not_found(cause: str) -> EndPointNotFound:
    exc = EndPointNotFound("Endpoint 'sendNoSuchThing' not found in Bot API")
    exc.__cause__ = InvalidToken(cause)
    return exc


CASES: list[tuple[BaseException, Decision]] = [
    (FLOOD, Wait(7.0)),
    (FLOOD_TIMEDELTA, Wait(3.0)),
    (
        Forbidden("Forbidden: bot was blocked by the user"),
        Block("Forbidden: bot was blocked by the user"),
    ),
    (ChatMigrated(-1001234), Migrate(-1001234)),
    (BadRequest(NOT_MODIFIED), Success()),
    (BadRequest("Poll has already been closed"), Success()),
    (
        BadRequest("Message with poll to stop not found"),
        Drop("Message with poll to stop not found"),
    ),
    (BadRequest("Message to edit not found"), Drop("Message to edit not found")),
    (BadRequest("Chat not found"), Drop("Chat not found")),
    (BadRequest("Message is too long"), Drop("Message is too long")),
    (TimedOut(), Retry("Timed out")),
    (NetworkError("Bad Gateway"), Retry("Bad Gateway")),
    (NetworkError("httpx.ConnectError: refused"), Retry("httpx.ConnectError: refused")),
    (InvalidToken("Not Found: method not found"), Drop("Not Found: method not found")),
    (InvalidToken("Unauthorized"), Halt("Unauthorized")),
    # After getMe, Bot.do_api_request wraps the 401 or 404 in EndPointNotFound.
    (endpoint_not_found("Unauthorized"), Halt("Unauthorized")),
    (endpoint_not_found("Not Found"), Drop("Endpoint 'sendNoSuchThing' not found in Bot API")),
    (
        Conflict("Conflict: terminated by other getUpdates"),
        Drop("Conflict: terminated by other getUpdates"),
    ),
    (TelegramError("Invalid server response"), Retry("Invalid server response")),
    (ConnectionResetError("reset"), Retry("reset")),
    (ValueError("bad input"), Drop("ValueError: bad input")),
]


@pytest.mark.parametrize(
    ("exc", "decision"), CASES, ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_each_error_maps_to_one_decision(exc: BaseException, decision: Decision) -> None:
    assert decide(exc) == decision


@pytest.mark.parametrize(
    ("attempt", "jitter", "seconds"),
    [
        (1, 0.0, 0.25),
        (1, 0.5, 0.375),
        (2, 0.0, 0.5),
        (3, 0.0, 1.0),
        (4, 0.999, 4.0 * 0.9995),
        (8, 0.0, 30.0),  # 0.5 * 2**7 = 64, capped at 60
        (1000, 0.0, 30.0),
        (0, 0.0, 0.25),
    ],
)
def test_backoff_doubles_up_to_the_cap_with_equal_jitter(
    attempt: int, jitter: float, seconds: float
) -> None:
    assert backoff(attempt, jitter=jitter) == pytest.approx(seconds)


def test_backoff_honours_base_and_cap() -> None:
    assert backoff(3, base=1.0, cap=2.0, jitter=0.0) == 1.0
    assert backoff(3, base=1.0, cap=2.0, jitter=0.5) == 1.5


@pytest.mark.parametrize("jitter", [-0.1, 1.0])
def test_backoff_rejects_jitter_outside_the_unit_interval(jitter: float) -> None:
    with pytest.raises(ValueError, match="jitter"):
        backoff(1, jitter=jitter)
