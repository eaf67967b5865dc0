"""Delivery: each Bot API outcome becomes exactly one recorded decision.

The Bot API call is a plain function here, raising python-telegram-bot's own
exceptions; the integration tests run the same paths against the fake Bot API.
"""

from __future__ import annotations

from typing import Any

import pytest
import statsd
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from quizbot.sender.delivery import Delivery, paid_broadcast_method
from quizbot.sender.lanes import Lanes
from quizbot.sender.meters import Meters
from quizbot.sender.ratelimit import Limits, RateLimiter
from quizbot.sender.results import Blocked, Entry, Migrated, ResultBuffer
from quizbot.store.outbox_queries import ClaimedRow, Outcome, chat_type, sender_lock_key

# PTB 22 announces, from inside RetryAfter itself, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")


def row(id: int, chat_id: int = 1, **kw: Any) -> ClaimedRow:
    fields: dict[str, Any] = dict(
        method="sendMessage",
        params={"chat_id": chat_id, "text": "hi"},
        ref=None,
        edit_ref=None,
        attempts=0,
        created_at=0.0,
    )
    fields.update(kw)
    return ClaimedRow(id=id, chat_id=chat_id, **fields)


class Harness:
    def __init__(self, answer: Any, max_attempts: int = 3) -> None:
        self.answer = answer
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.limiter = RateLimiter(Limits(0, 0, 3, 0), lambda: 0.0)
        self.lanes = Lanes(self.limiter.chat_ready_at, lambda: 0.0)
        self.results = ResultBuffer(self._never, max_batch=10**6)
        self.delivery = Delivery(
            call=self._call,
            lanes=self.lanes,
            limiter=self.limiter,
            results=self.results,
            meters=Meters(statsd.StatsClient("127.0.0.1", 9)),
            max_attempts=max_attempts,
            jitter=lambda: 0.0,
        )

    async def _never(self, entries: list[Entry]) -> None:
        raise AssertionError("not flushed in unit tests")

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def deliver(self, *rows: ClaimedRow) -> list[Entry]:
        self.lanes.add(rows)
        item = await self.lanes.next()
        assert item is not None
        await self.delivery.deliver(*item)
        self.lanes.done(item[0])
        return list(self.results._entries)


async def test_a_sent_message_records_telegrams_message_id() -> None:
    h = Harness({"message_id": 77})
    [outcome] = await h.deliver(row(1))
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.message_id, outcome.attempted) == ("sent", 77, True)


async def test_a_server_error_goes_back_for_a_retry_and_holds_the_chat() -> None:
    h = Harness(NetworkError("Bad Gateway"))
    [outcome] = await h.deliver(row(1), row(2))
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.retry_in, outcome.error) == ("pending", 0.25, "Bad Gateway")
    assert h.lanes.held_rows() == 1


async def test_the_last_allowed_attempt_dead_letters_with_the_error() -> None:
    h = Harness(NetworkError("Bad Gateway"), max_attempts=3)
    [outcome] = await h.deliver(row(1, attempts=2))
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.error) == ("dead", "Bad Gateway")


async def test_a_429_pauses_the_chat_and_keeps_the_message_without_counting_an_attempt() -> None:
    h = Harness(RetryAfter(4))
    assert await h.deliver(row(1)) == []
    assert h.lanes.depth == 1
    assert h.limiter.chat_ready_at(1) == 4.0


async def test_a_rejected_token_keeps_the_message_and_pauses_every_chat() -> None:
    h = Harness(InvalidToken("Unauthorized"))
    assert await h.deliver(row(1), row(2, chat_id=2)) == []
    assert h.lanes.depth == 2
    assert 2.5 <= h.limiter.global_wait() <= 5.0
    assert h.limiter.chat_ready_at(2) == h.limiter.global_wait()
    assert h.delivery.token.rejected


async def test_a_blocked_chat_drops_the_message_and_everything_queued() -> None:
    h = Harness(Forbidden("Forbidden: bot was blocked by the user"))
    entries = await h.deliver(row(1), row(2))
    assert [(e.id, e.status) for e in entries if isinstance(e, Outcome)] == [
        (1, "dropped"),
        (2, "dropped"),
    ]
    assert entries[-1] == Blocked(1, "Forbidden: bot was blocked by the user")


async def test_a_migrated_group_resends_to_the_new_chat() -> None:
    h = Harness(ChatMigrated(-100123))
    assert await h.deliver(row(1, chat_id=-5)) == [Migrated(-5, -100123)]
    item = await h.lanes.next()
    assert item is not None and item[1].params["chat_id"] == -100123


async def test_not_modified_is_success_with_the_edited_message_id() -> None:
    h = Harness(BadRequest("Message is not modified: specified new message content"))
    edit = row(
        2, method="editMessageText", edit_ref="q", original_status="sent", original_message_id=5
    )
    [outcome] = await h.deliver(edit)
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.message_id) == ("sent", 5)
    assert h.calls[0][1]["message_id"] == 5


@pytest.mark.parametrize(
    ("original_status", "original_message_id"),
    [(None, None), ("dead", None), ("dropped", None)],
)
async def test_a_text_edit_whose_original_never_went_out_is_posted_as_a_new_message(
    original_status: str | None, original_message_id: int | None
) -> None:
    h = Harness({"message_id": 90})
    edit = row(
        2,
        method="editMessageText",
        params={"chat_id": 1, "text": "Q1 closed", "reply_markup": {"inline_keyboard": []}},
        edit_ref="q",
        original_status=original_status,
        original_message_id=original_message_id,
    )
    [outcome] = await h.deliver(edit)
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.message_id) == ("sent", 90)
    assert h.calls == [
        (
            "sendMessage",
            {"chat_id": 1, "text": "Q1 closed", "reply_markup": {"inline_keyboard": []}},
        )
    ]
    # The next edit of the same ref edits the message just posted.
    await h.deliver(row(3, method="editMessageText", edit_ref="q", original_status="dead"))
    assert h.calls[1][0] == "editMessageText" and h.calls[1][1]["message_id"] == 90


async def test_a_markup_edit_whose_original_never_went_out_is_dropped() -> None:
    h = Harness({"message_id": 1})
    edit = row(2, method="editMessageReplyMarkup", edit_ref="q", original_status="dead")
    [outcome] = await h.deliver(edit)
    assert isinstance(outcome, Outcome) and outcome.status == "dropped"
    assert outcome.error is not None and "was not delivered" in outcome.error
    assert h.calls == []


async def test_an_edit_of_a_message_telegram_no_longer_has_is_posted_again() -> None:
    h = Harness(BadRequest("Message to edit not found"))
    edit = row(
        2, method="editMessageText", edit_ref="q", original_status="sent", original_message_id=5
    )
    assert await h.deliver(edit) == []
    h.answer = {"message_id": 6}
    item = await h.lanes.next()
    assert item is not None
    await h.delivery.deliver(*item)
    [outcome] = list(h.results._entries)
    assert isinstance(outcome, Outcome) and (outcome.id, outcome.status) == (2, "sent")
    assert [m for m, _ in h.calls] == ["editMessageText", "sendMessage"]
    assert "message_id" not in h.calls[1][1]


async def test_an_edit_right_after_its_original_uses_the_id_just_returned() -> None:
    h = Harness({"message_id": 41})
    await h.deliver(row(1, ref="q"))
    await h.deliver(row(2, method="editMessageText", edit_ref="q", original_status="pending"))
    assert h.calls[1][1]["message_id"] == 41


def test_paid_broadcast_applies_to_sends_only() -> None:
    assert paid_broadcast_method("sendMessage") and paid_broadcast_method("sendPoll")
    assert not paid_broadcast_method("editMessageText")
    assert not paid_broadcast_method("sendChatAction")


def test_lock_key_is_stable_per_token_and_a_signed_bigint() -> None:
    key = sender_lock_key("123:abc")
    assert key == sender_lock_key("123:abc") != sender_lock_key("123:abd")
    assert -(2**63) <= key < 2**63


def test_chat_type_follows_telegrams_id_ranges() -> None:
    assert [chat_type(5), chat_type(-5), chat_type(-1001234567890)] == [
        "private",
        "group",
        "supergroup",
    ]
