"""The sender's rate limiter: exact send times on a fake clock."""

from __future__ import annotations

import pytest

from quizbot.sender.ratelimit import Limits, Pace, RateLimiter, limited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_times(
    limiter: RateLimiter, clock: Clock, chats: list[int], method: str = "sendMessage"
) -> list[float]:
    """Reserve one call per entry of ``chats`` in turn, advancing the clock to each slot."""
    times = []
    for chat in chats:
        clock.now = max(clock.now, limiter.chat_ready_at(chat))
        clock.now += limiter.reserve(chat, method)
        times.append(round(clock.now - 1000.0, 6))
    return times


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_pace_allows_its_burst_then_its_rate() -> None:
    pace = Pace(rate=2.0, burst=3)
    assert [pace.reserve(0.0) for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]


def test_global_rate_is_never_exceeded_in_any_second() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(global_per_s=30, chat_per_s=0, group_per_min=0), clock)
    times = send_times(limiter, clock, list(range(1, 301)))
    assert max_in_window(times, 1.0) <= 30 + 3
    assert times[-1] == pytest.approx((300 - 3) / 30, abs=1e-6)


def test_per_chat_pacing_keeps_one_message_of_headroom_below_telegrams_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(global_per_s=0, chat_per_s=1.0, chat_burst=3), clock)
    assert send_times(limiter, clock, [5] * 5) == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_a_group_gets_at_most_one_less_than_its_limit_in_any_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(
        Limits(global_per_s=0, chat_per_s=1.0, chat_burst=3, group_per_min=20), clock
    )
    times = send_times(limiter, clock, [-42] * 40)
    assert max_in_window(times, 60.0) <= 19
    # Users are not subject to the group limit.
    assert send_times(limiter, clock, [42] * 3)[-1] - times[-1] <= 1.0


def test_one_chat_waiting_does_not_hold_back_another() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(global_per_s=0, chat_per_s=1.0, chat_burst=1), clock)
    limiter.reserve(1, "sendMessage")
    assert limiter.chat_ready_at(1) == pytest.approx(clock.now + 1.0)
    assert limiter.chat_ready_at(2) <= clock.now


def test_calls_telegram_does_not_count_take_no_slot() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(global_per_s=1, chat_per_s=1.0, chat_burst=1), clock)
    assert not limited("answerCallbackQuery")
    assert [limiter.reserve(7, "answerCallbackQuery") for _ in range(5)] == [0.0] * 5
    assert limiter.reserve(7, "sendMessage") == 0.0


def test_a_429_pauses_only_its_chat() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(), clock)
    assert limiter.on_429(1, 3.0) == "chat"
    assert limiter.chat_ready_at(1) == pytest.approx(clock.now + 3.0)
    assert limiter.chat_ready_at(2) <= clock.now
    assert limiter.global_wait() == 0.0


def test_429s_from_several_chats_within_a_second_pause_everything() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(), clock)
    scopes = []
    for chat in (1, 2, 3):
        scopes.append(limiter.on_429(chat, 2.0))
        clock.now += 0.3
    assert scopes == ["chat", "chat", "global"]
    assert limiter.chat_ready_at(99) == pytest.approx(clock.now - 0.3 + 2.0)
    assert limiter.global_wait() == pytest.approx(2.0 - 0.3)


def test_429s_spread_over_time_stay_per_chat() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(), clock)
    scopes = []
    for chat in (1, 2, 3):
        scopes.append(limiter.on_429(chat, 1.0))
        clock.now += 0.6
    assert scopes == ["chat", "chat", "chat"]


def test_paid_broadcast_lifts_the_global_rate_to_1000() -> None:
    limits = Limits.from_settings(30, True, 1.0, 3, 20)
    assert limits.global_per_s == 1000.0
    assert Limits.from_settings(30, False, 1.0, 3, 20).global_per_s == 30


def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(), clock)
    limiter.reserve(1, "sendMessage")
    limiter.on_429(2, 1.0)
    clock.now += 5
    assert limiter.forget_idle() == 2
