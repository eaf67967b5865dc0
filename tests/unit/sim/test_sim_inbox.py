"""The bot's inbox: updates numbered in order, confirmed by offset, filtered by type."""

from __future__ import annotations

from quizbot.sim.api.inbox import Inbox


def _filled(*kinds: str) -> Inbox:
    inbox = Inbox(first_update_id=10)
    for kind in kinds:
        inbox.add({kind: {}})
    return inbox


def test_updates_are_numbered_in_order_and_stay_until_confirmed() -> None:
    inbox = _filled("message", "callback_query", "message")
    assert [u["update_id"] for u in inbox.peek(100)] == [10, 11, 12]
    assert len(inbox) == 3  # peeking confirms nothing
    inbox.confirm(12)
    assert [u["update_id"] for u in inbox.peek(100)] == [12]


def test_a_negative_offset_keeps_only_the_newest() -> None:
    inbox = _filled("message", "message", "message", "message")
    inbox.confirm(-2)
    assert [u["update_id"] for u in inbox.peek(100)] == [12, 13]


def test_limit_bounds_a_batch() -> None:
    assert [u["update_id"] for u in _filled("message", "message", "message").peek(2)] == [10, 11]


def test_by_default_chat_member_updates_are_not_delivered() -> None:
    inbox = _filled("chat_member", "message")
    assert [next(k for k in u if k != "update_id") for u in inbox.peek(100)] == ["message"]
    assert inbox.dropped == 1


def test_allowed_updates_is_remembered_and_an_empty_list_means_the_default() -> None:
    inbox = _filled("message", "poll", "chat_member")
    inbox.allow(["poll", "chat_member"])
    inbox.allow(None)  # not given: the previous setting stays
    assert [u["update_id"] for u in inbox.peek(100)] == [11, 12]
    inbox.add({"message": {}})
    inbox.allow([])
    assert [u["update_id"] for u in inbox.peek(100)] == [11, 13]


def test_a_full_inbox_drops_its_oldest_update() -> None:
    inbox = Inbox(first_update_id=1, cap=2)
    for _ in range(3):
        inbox.add({"message": {}})
    assert [u["update_id"] for u in inbox.peek(100)] == [2, 3]
