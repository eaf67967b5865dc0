"""Flood limits behave like Telegram's, on a clock the test controls."""

from __future__ import annotations

import pytest

from quizbot.sim.api.limits import LimitConfig, RateLimiter, counts


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _limiter(clock: FakeClock, **rates: float) -> RateLimiter:
    return RateLimiter(LimitConfig(**rates), clock)


def test_global_limit_allows_30_messages_then_answers_retry_after_1(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    assert [limiter.acquire("t", chat) for chat in range(1, 31)] == [0] * 30
    assert limiter.acquire("t", 31) == 1


def test_global_limit_refills_at_30_per_second(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    for chat in range(1, 31):
        limiter.acquire("t", chat)
    clock.advance(0.1)  # three tokens back
    assert [limiter.acquire("t", chat) for chat in range(31, 35)] == [0, 0, 0, 1]


def test_each_token_has_its_own_global_bucket(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    for chat in range(1, 31):
        limiter.acquire("a", chat)
    assert limiter.acquire("a", 99) == 1
    assert limiter.acquire("b", 99) == 0


def test_chat_allows_a_burst_of_3_then_one_per_second(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    assert [limiter.acquire("t", 7) for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("t", 7) == 1
    clock.advance(1.0)
    assert limiter.acquire("t", 7) == 0
    assert limiter.acquire("t", 7) == 1
    assert limiter.acquire("t", 8) == 0  # other chats are not affected


def test_group_allows_20_per_minute(clock: FakeClock) -> None:
    limiter = _limiter(clock, chat_rate=100.0, chat_burst=100.0)
    assert [limiter.acquire("t", -42) for _ in range(20)] == [0] * 20
    # 20/min refills one token every 3 s.
    assert limiter.acquire("t", -42) == 3
    clock.advance(2.0)
    assert limiter.acquire("t", -42) == 1
    clock.advance(1.0)
    assert limiter.acquire("t", -42) == 0


def test_group_at_default_pace_hits_the_minute_limit(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    sent = 0
    for _ in range(60):  # one message per second for a minute
        if limiter.acquire("t", -42) == 0:
            sent += 1
        clock.advance(1.0)
    # 20 from the full bucket plus one per 3 s for the 59 s that passed.
    assert sent == 20 + 59 // 3


def test_a_refused_call_takes_no_token(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    for _ in range(3):
        limiter.acquire("t", 7)
    for _ in range(10):
        assert limiter.acquire("t", 7) == 1
    clock.advance(1.0)
    assert limiter.acquire("t", 7) == 0


def test_paid_broadcast_counts_against_1000_per_second(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    results = [limiter.acquire("t", chat, paid=True) for chat in range(1, 1002)]
    assert results[:1000] == [0] * 1000
    assert results[1000] == 1
    # The free 30/s bucket was untouched.
    assert limiter.acquire("t", 5000) == 0


def test_retry_after_is_whole_seconds_until_the_scope_frees(clock: FakeClock) -> None:
    limiter = _limiter(clock, chat_rate=0.25, chat_burst=1.0)
    assert limiter.acquire("t", 7) == 0
    assert limiter.acquire("t", 7) == 4
    clock.advance(2.5)
    assert limiter.acquire("t", 7) == 2  # 1.5 s left, rounded up


def test_chatless_calls_only_use_the_global_bucket(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    assert [limiter.acquire("t", None) for _ in range(30)] == [0] * 30
    assert limiter.acquire("t", None) == 1


def test_reset_refills_every_bucket(clock: FakeClock) -> None:
    limiter = _limiter(clock)
    for _ in range(3):
        limiter.acquire("t", 7)
    limiter.reset()
    assert limiter.acquire("t", 7) == 0


@pytest.mark.parametrize(
    ("method", "limited"),
    [
        ("sendMessage", True),
        ("sendPoll", True),
        ("SENDPHOTO", True),
        ("editMessageText", True),
        ("editMessageReplyMarkup", True),
        ("copyMessage", True),
        ("forwardMessage", True),
        ("stopPoll", True),
        ("answerCallbackQuery", False),
        ("deleteMessage", False),
        ("sendChatAction", False),
        ("getMe", False),
        ("setWebhook", False),
    ],
)
def test_only_message_calls_count(method: str, limited: bool) -> None:
    assert counts(method) is limited
