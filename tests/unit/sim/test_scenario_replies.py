"""A scenario's latencies: from a user's action to the bot's next delivery in the chat."""

from __future__ import annotations

import pytest

from quizbot.sim.scenario.replies import AwaitedReplies

CHAT = 10_000_001


def test_a_reply_seen_before_the_actions_request_returned_is_measured() -> None:
    """The bot answered while the user's own request was still on its way back."""
    latencies: list[float] = []
    replies = AwaitedReplies(latencies)
    sent = replies.start(CHAT, 100.0)
    replies.delivered(CHAT, 100.25)
    assert latencies == []  # not yet known to have happened
    replies.finish(sent, happened=True)
    assert latencies == [0.25]


def test_a_reply_after_the_request_returned_is_measured() -> None:
    latencies: list[float] = []
    replies = AwaitedReplies(latencies)
    pressed = replies.start(CHAT, 100.0)
    replies.finish(pressed, happened=True)
    replies.delivered(CHAT, 100.5)
    replies.delivered(CHAT, 101.0)  # a second message: nobody waits for it
    assert latencies == [0.5]


def test_a_refused_action_measures_nothing_whenever_the_chat_moves() -> None:
    latencies: list[float] = []
    replies = AwaitedReplies(latencies)
    early, late = replies.start(CHAT, 100.0), replies.start(CHAT, 200.0)
    replies.delivered(CHAT, 100.1)
    replies.finish(early, happened=False)
    replies.finish(late, happened=False)
    replies.delivered(CHAT, 200.1)
    assert latencies == []


def test_a_delivery_before_an_action_started_is_not_its_reply() -> None:
    latencies: list[float] = []
    replies = AwaitedReplies(latencies)
    sent = replies.start(CHAT, 100.0)
    replies.delivered(CHAT, 99.0)  # already on its way when the user acted
    replies.delivered(CHAT + 1, 100.3)  # another chat
    replies.finish(sent, happened=True)
    assert latencies == []
    replies.delivered(CHAT, 100.4)
    assert latencies == [pytest.approx(0.4)]
