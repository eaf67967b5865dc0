"""TokenRejection: a 401 pauses sending with a growing wait, never ends the sender,
and clears on the first accepted call."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import InvalidToken

from quizbot.sender.token import TokenRejection


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def rejection(clock: Clock | None = None, **kw: float) -> TokenRejection:
    return TokenRejection(clock=clock or Clock(), jitter=lambda: 0.999, **kw)


@pytest.mark.parametrize(
    ("tries", "wait"),
    [(1, 5.0), (2, 10.0), (3, 20.0), (6, 160.0), (7, 300.0), (12, 300.0)],
)
def test_each_try_waits_twice_as_long_up_to_five_minutes(tries: int, wait: float) -> None:
    clock = Clock()
    token = rejection(clock)
    for _ in range(tries - 1):
        delay = token.on_rejected("Unauthorized")
        assert delay is not None
        clock.now += delay
    assert token.on_rejected("Unauthorized") == pytest.approx(wait, rel=0.001)


def test_calls_rejected_during_a_wait_do_not_lengthen_it() -> None:
    clock = Clock()
    token = rejection(clock)
    first = token.on_rejected("Unauthorized")
    assert first is not None
    # Nine more workers' calls were in flight and come back 401 too.
    assert [token.on_rejected("Unauthorized") for _ in range(9)] == [None] * 9
    assert token.tries == 1
    clock.now += first
    assert token.on_rejected("Unauthorized") == pytest.approx(10.0, rel=0.001)


def test_rejected_until_a_call_is_accepted_then_the_next_401_starts_over() -> None:
    clock = Clock()
    token = rejection(clock)
    token.on_accepted()
    assert not token.rejected
    token.on_rejected("Unauthorized")
    assert token.rejected
    token.on_accepted()
    assert not token.rejected
    assert token.on_rejected("Unauthorized") == pytest.approx(5.0, rel=0.001)


async def test_the_startup_check_waits_for_the_token_to_be_accepted() -> None:
    answers: list[BaseException | None] = [InvalidToken("no"), InvalidToken("no"), None]
    seen = []

    async def get_me() -> None:
        seen.append(1)
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    token = TokenRejection(base_s=0.01, cap_s=0.02)
    assert await asyncio.wait_for(token.wait_accepted(get_me, asyncio.Event()), 5)
    assert len(seen) == 3 and not token.rejected


async def test_a_stop_during_the_wait_ends_it() -> None:
    async def get_me() -> None:
        raise InvalidToken("no")

    stop = asyncio.Event()
    token = TokenRejection(base_s=60.0)
    waiting = asyncio.create_task(token.wait_accepted(get_me, stop))
    await asyncio.sleep(0.05)
    stop.set()
    assert await asyncio.wait_for(waiting, 5) is False
