"""The simulated Telegram's behaviour, call by call, without HTTP."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.engine import FakeTelegram
from quizbot.sim.api.faults import FaultConfig
from quizbot.sim.api.limits import LimitConfig

KEYBOARD = {"inline_keyboard": [[{"text": "A", "callback_data": "a:1:0:0"}]]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def _ok(tg: FakeTelegram, method: str, **params: Any) -> Any:
    answer = await tg.call("1:t", method, params)
    body = orjson.loads(answer.body)
    assert answer.status == 200, body
    return body["result"]


async def _error(tg: FakeTelegram, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    answer = await tg.call("1:t", method, params)
    body = orjson.loads(answer.body)
    assert body["ok"] is False
    assert body["error_code"] == answer.status
    return answer.status, body


@pytest.fixture
def tg() -> FakeTelegram:
    return FakeTelegram(SimConfig(limits=False, wall_clock=lambda: 1_700_000_000.5))


async def test_send_message_returns_a_telegram_message(tg: FakeTelegram) -> None:
    m = await _ok(tg, "sendMessage", chat_id=42, text="Hello", reply_markup=KEYBOARD)
    assert m["message_id"] == 1
    assert m["chat"] == {"id": 42, "type": "private", "first_name": "Player 42"}
    assert m["from"]["is_bot"] is True
    assert m["from"]["username"] == "quizbot_sim_bot"
    assert m["date"] == 1_700_000_000
    assert m["text"] == "Hello"
    assert m["reply_markup"] == KEYBOARD


async def test_message_ids_increase_per_chat(tg: FakeTelegram) -> None:
    ids = [(await _ok(tg, "sendMessage", chat_id=c, text="x"))["message_id"] for c in (1, 1, 2, 1)]
    assert ids == [1, 2, 1, 3]


@pytest.mark.parametrize(
    ("chat_id", "kind"), [(5, "private"), (-5, "group"), (-1001234567890, "supergroup")]
)
async def test_chat_type_follows_the_id(tg: FakeTelegram, chat_id: int, kind: str) -> None:
    m = await _ok(tg, "sendMessage", chat_id=chat_id, text="x")
    assert m["chat"]["type"] == kind


async def test_html_is_parsed_out_of_the_stored_text(tg: FakeTelegram) -> None:
    m = await _ok(tg, "sendMessage", chat_id=1, text="<b>Q1</b> 2 &lt; 3?", parse_mode="HTML")
    assert m["text"] == "Q1 2 < 3?"


async def test_edit_text_changes_the_stored_message(tg: FakeTelegram) -> None:
    await _ok(tg, "sendMessage", chat_id=9, text="Q", reply_markup=KEYBOARD)
    edited = await _ok(tg, "editMessageText", chat_id=9, message_id=1, text="Q (closed)")
    assert edited["text"] == "Q (closed)"
    assert "reply_markup" not in edited  # no reply_markup in the edit removes the keyboard
    assert edited["edit_date"] == 1_700_000_000
    assert tg.state.message(9, 1) == edited


async def test_an_edit_that_changes_nothing_is_not_modified(tg: FakeTelegram) -> None:
    await _ok(tg, "sendMessage", chat_id=9, text="Q", reply_markup=KEYBOARD)
    status, body = await _error(
        tg, "editMessageText", chat_id=9, message_id=1, text="Q", reply_markup=KEYBOARD
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified")


async def test_markup_edit_that_changes_nothing_is_not_modified(tg: FakeTelegram) -> None:
    await _ok(tg, "sendMessage", chat_id=9, text="Q")
    _, body = await _error(tg, "editMessageReplyMarkup", chat_id=9, message_id=1)
    assert "message is not modified" in body["description"]
    edited = await _ok(tg, "editMessageReplyMarkup", chat_id=9, message_id=1, reply_markup=KEYBOARD)
    assert edited["reply_markup"] == KEYBOARD


@pytest.mark.parametrize("message_id", [2, 99])
async def test_editing_an_unknown_message_is_not_found(tg: FakeTelegram, message_id: int) -> None:
    await _ok(tg, "sendMessage", chat_id=9, text="Q")
    status, body = await _error(tg, "editMessageText", chat_id=9, message_id=message_id, text="x")
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")


async def test_inline_message_edits_return_true(tg: FakeTelegram) -> None:
    assert await _ok(tg, "editMessageText", inline_message_id="abc", text="x") is True


async def test_send_poll_returns_a_poll_with_an_id_mapped_to_its_message(tg: FakeTelegram) -> None:
    m = await _ok(
        tg,
        "sendPoll",
        chat_id=-7,
        question="2+2?",
        options=[{"text": "3"}, {"text": "4"}],
        type="quiz",
        correct_option_ids=[1],
        is_anonymous=False,
    )
    poll = m["poll"]
    assert poll["question"] == "2+2?"
    assert [o["text"] for o in poll["options"]] == ["3", "4"]
    assert poll["correct_option_ids"] == [1]
    assert poll["is_anonymous"] is False
    assert tg.state.polls[poll["id"]] == (-7, m["message_id"])
    stopped = await _ok(tg, "stopPoll", chat_id=-7, message_id=m["message_id"])
    assert stopped["is_closed"] is True
    _, body = await _error(tg, "stopPoll", chat_id=-7, message_id=m["message_id"])
    assert body["description"] == "Bad Request: poll has already been closed"


async def test_delete_removes_the_message(tg: FakeTelegram) -> None:
    await _ok(tg, "sendMessage", chat_id=3, text="x")
    assert await _ok(tg, "deleteMessage", chat_id=3, message_id=1) is True
    assert tg.state.message(3, 1) is None
    _, body = await _error(tg, "deleteMessage", chat_id=3, message_id=1)
    assert body["description"] == "Bad Request: message to delete not found"


async def test_answer_callback_query_returns_true(tg: FakeTelegram) -> None:
    assert await _ok(tg, "answerCallbackQuery", callback_query_id="77", text="Correct!") is True


async def test_webhook_calls_remember_the_webhook(tg: FakeTelegram) -> None:
    assert await _ok(tg, "setWebhook", url="https://q.example/hook", max_connections=100)
    info = await _ok(tg, "getWebhookInfo")
    assert info["url"] == "https://q.example/hook"
    assert info["max_connections"] == 100
    status, _ = await _error(tg, "getUpdates")
    assert status == 409
    assert await _ok(tg, "deleteWebhook") is True
    assert (await _ok(tg, "getWebhookInfo"))["url"] == ""
    _, body = await _error(tg, "setWebhook", url="https://x", max_connections=101)
    assert "max_connections" in body["description"]


async def test_other_methods_answer_by_their_return_type(tg: FakeTelegram) -> None:
    photo = await _ok(tg, "sendPhoto", chat_id=4, photo="file-id", caption="pic")
    assert (photo["message_id"], photo["caption"]) == (1, "pic")
    assert await _ok(tg, "copyMessage", chat_id=4, from_chat_id=5, message_id=1) == {
        "message_id": 2
    }
    assert await _ok(tg, "sendChatAction", chat_id=4, action="typing") is True


async def test_username_chats_do_not_exist(tg: FakeTelegram) -> None:
    status, body = await _error(tg, "sendMessage", chat_id="@nobody", text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_accepted_calls_are_recorded_and_refusals_are_counted(tg: FakeTelegram) -> None:
    await _ok(tg, "sendMessage", chat_id=1, text="x")
    await _error(tg, "sendMessage", chat_id=1, text="")
    await _error(tg, "fly", chat_id=1)
    entries = tg.state.calls.since(0, 10)
    assert len(entries) == 1
    seq, (_, _, method, chat_id, params, message_id, _) = entries[0]
    assert (seq, method, chat_id, params, message_id) == (
        1,
        "sendMessage",
        1,
        {"chat_id": 1, "text": "x"},
        1,
    )
    stats = tg.stats()
    assert stats["by_method"]["sendMessage"] == {"200": 1, "400": 1}
    assert stats["by_method"]["fly"] == {"404": 1}


async def test_a_call_is_journaled_with_the_outbox_row_it_names(tg: FakeTelegram) -> None:
    await tg.call("t", "sendMessage", {"chat_id": 1, "text": "x"}, outbox_id=42)
    await tg.call("t", "sendMessage", {"chat_id": 1, "text": "y"})
    assert [entry[-1] for _, entry in tg.state.calls.since(0, 10)] == [42, None]


async def test_a_migration_shows_in_the_old_group_before_anything_reaches_the_new_one(
    tg: FakeTelegram,
) -> None:
    tg.set_faults({"migrated": {"-1001": -1001000000001}})
    (_, (kind, _, chat_id, _, message)), *_ = tg.state.feed.since(0, 10)
    assert (kind, chat_id, message["migrate_to_chat_id"]) == ("message", -1001, -1001000000001)
    answer = await tg.call("t", "sendMessage", {"chat_id": -1001, "text": "x"})
    assert answer.status == 400


async def test_a_configured_token_refuses_others() -> None:
    tg = FakeTelegram(SimConfig(token="123:secret"))
    answer = await tg.call("123:wrong", "getMe", {})
    assert answer.status == 401
    assert (await tg.call("123:secret", "getMe", {})).status == 200
    assert orjson.loads((await tg.call("123:secret", "getMe", {})).body)["result"]["id"] == 123


async def test_flood_limit_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    tg = FakeTelegram(SimConfig(clock=clock))
    for _ in range(3):
        await _ok(tg, "sendMessage", chat_id=1, text="x")
    status, body = await _error(tg, "sendMessage", chat_id=1, text="x")
    assert status == 429
    assert body["description"] == "Too Many Requests: retry after 1"
    assert body["parameters"] == {"retry_after": 1}
    assert await _ok(tg, "answerCallbackQuery", callback_query_id="1") is True
    clock.now += 1.0
    await _ok(tg, "sendMessage", chat_id=1, text="x")
    assert tg.stats()["rate_limited"] == 1


async def test_paid_broadcast_lifts_the_global_limit() -> None:
    tg = FakeTelegram(
        SimConfig(clock=FakeClock(), rates=LimitConfig(global_rate=2, global_burst=2))
    )
    for chat in (1, 2):
        await _ok(tg, "sendMessage", chat_id=chat, text="x")
    status, _ = await _error(tg, "sendMessage", chat_id=3, text="x")
    assert status == 429
    await _ok(tg, "sendMessage", chat_id=3, text="x", allow_paid_broadcast=True)


async def test_blocked_and_migrated_chats_answer_like_telegram() -> None:
    faults = FaultConfig(blocked={5, -6}, migrated={-7: -1000000000007}, missing={8})
    tg = FakeTelegram(SimConfig(limits=False, faults=faults))
    assert await _error(tg, "sendMessage", chat_id=5, text="x") == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    _, kicked = await _error(tg, "sendMessage", chat_id=-6, text="x")
    assert kicked["description"] == "Forbidden: bot was kicked from the group chat"
    status, moved = await _error(tg, "sendMessage", chat_id=-7, text="x")
    assert status == 400
    assert moved["parameters"] == {"migrate_to_chat_id": -1000000000007}
    assert moved["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    m = await _ok(tg, "sendMessage", chat_id=-1000000000007, text="x")
    assert m["chat"]["type"] == "supergroup"
    _, missing = await _error(tg, "sendMessage", chat_id=8, text="x")
    assert missing["description"] == "Bad Request: chat not found"


async def test_injected_errors_and_drops() -> None:
    faults = FaultConfig(error_next=1, drop_next=1, methods={"sendMessage"})
    tg = FakeTelegram(SimConfig(limits=False, faults=faults))
    await _ok(tg, "getMe")  # spared: not a faulty method
    dropped = await tg.call("1:t", "sendMessage", {"chat_id": 1, "text": "x"})
    assert dropped.drop
    failed = await tg.call("1:t", "sendMessage", {"chat_id": 1, "text": "x"})
    assert (failed.status, orjson.loads(failed.body)["description"]) == (502, "Bad Gateway")
    await _ok(tg, "sendMessage", chat_id=1, text="x")
    assert tg.state.calls.last == 2  # getMe and the one delivered message
    assert tg.stats()["by_method"]["sendMessage"] == {"dropped": 1, "502": 1, "200": 1}


async def test_a_drop_after_apply_delivers_but_loses_the_answer() -> None:
    faults = FaultConfig(drop_next=1, drop_after=True)
    tg = FakeTelegram(SimConfig(limits=False, faults=faults))
    answer = await tg.call("1:t", "sendMessage", {"chat_id": 1, "text": "x"})
    assert answer.drop
    assert tg.state.message(1, 1) is not None


async def test_reset_forgets_everything() -> None:
    tg = FakeTelegram(SimConfig(clock=FakeClock()))
    for _ in range(4):
        await tg.call("1:t", "sendMessage", {"chat_id": 1, "text": "x"})
    tg.reset()
    assert tg.state.chats == {}
    assert tg.stats()["by_outcome"] == {}
    assert tg.state.calls.since(0, 10) == []
    await _ok(tg, "sendMessage", chat_id=1, text="x")
