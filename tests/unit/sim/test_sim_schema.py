"""Every call is checked against the vendored Bot API spec, with Telegram's own 400s."""

from __future__ import annotations

import json
from typing import Any

import pytest

from quizbot.sim.api.protocol import ApiError
from quizbot.sim.api.schema import load_schema

SCHEMA = load_schema()


def _button(data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "A", "callback_data": data}]]}


def _validate(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return SCHEMA.validate(SCHEMA.method(method), params)


def _refusal(method: str, params: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        _validate(method, params)
    return caught.value.code, caught.value.description


def test_the_vendored_spec_is_bot_api_10_1() -> None:
    assert SCHEMA.version == "Bot API 10.1"
    assert len(SCHEMA.methods) > 150


@pytest.mark.parametrize("name", ["sendMessage", "SENDMESSAGE", "sendmessage"])
def test_method_names_are_case_insensitive(name: str) -> None:
    assert SCHEMA.method(name).name == "sendMessage"


def test_unknown_method_is_telegrams_404() -> None:
    with pytest.raises(ApiError) as caught:
        SCHEMA.method("sendTelepathy")
    assert (caught.value.code, caught.value.description) == (404, "Not Found: method not found")


def test_form_encoded_values_are_coerced_by_their_spec_types() -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a:1:0:0"}]]}
    params = {
        "chat_id": "-100123",
        "text": "123",
        "disable_notification": "true",
        "reply_markup": json.dumps(markup),
    }
    assert _validate("sendMessage", params) == {
        "chat_id": -100123,
        "text": "123",
        "disable_notification": True,
        "reply_markup": markup,
    }


def test_unknown_fields_are_ignored_like_telegram_does() -> None:
    assert _validate("sendMessage", {"chat_id": 1, "text": "hi", "frobnicate": 1}) == {
        "chat_id": 1,
        "text": "hi",
    }


def test_username_chat_ids_stay_strings() -> None:
    assert _validate("sendMessage", {"chat_id": "@quizchannel", "text": "hi"})["chat_id"] == (
        "@quizchannel"
    )


CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("missing text", "sendMessage", {"chat_id": 1}, "Bad Request: message text is empty"),
    ("missing chat", "sendMessage", {"text": "x"}, "Bad Request: chat_id is empty"),
    ("missing other", "answerCallbackQuery", {}, 'parameter "callback_query_id" is required'),
    ("empty text", "sendMessage", {"chat_id": 1, "text": ""}, "message text is empty"),
    ("blank text", "sendMessage", {"chat_id": 1, "text": " \n "}, "message text is empty"),
    ("long text", "sendMessage", {"chat_id": 1, "text": "x" * 4097}, "message is too long"),
    ("bool chat", "sendMessage", {"chat_id": True, "text": "x"}, '"chat_id" must be of type'),
    ("list text", "sendMessage", {"chat_id": 1, "text": ["x"]}, '"text" must be of type String'),
    ("bad bool", "sendMessage", {"chat_id": 1, "text": "x", "protect_content": "yes"}, "Boolean"),
    (
        "callback_data 65 bytes",
        "sendMessage",
        {"chat_id": 1, "text": "x", "reply_markup": _button("x" * 65)},
        "Bad Request: BUTTON_DATA_INVALID",
    ),
    (
        "callback_data 33 two-byte chars",
        "sendMessage",
        {"chat_id": 1, "text": "x", "reply_markup": _button("é" * 33)},
        "Bad Request: BUTTON_DATA_INVALID",
    ),
    (
        "empty callback_data",
        "sendMessage",
        {"chat_id": 1, "text": "x", "reply_markup": _button("")},
        "Bad Request: BUTTON_DATA_INVALID",
    ),
    (
        "button without action",
        "sendMessage",
        {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "A"}]]}},
        "Bad Request: text buttons are unallowed in the inline keyboard",
    ),
    (
        "button without text",
        "sendMessage",
        {
            "chat_id": 1,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"callback_data": "a"}]]},
        },
        '"reply_markup.inline_keyboard[0][0].text" is required',
    ),
    (
        "row is not an array",
        "sendMessage",
        {
            "chat_id": 1,
            "text": "x",
            "reply_markup": {"inline_keyboard": [{"text": "A", "callback_data": "a"}]},
        },
        '"reply_markup.inline_keyboard[0]" must be of type Array',
    ),
    (
        "markup of no known kind",
        "sendMessage",
        {"chat_id": 1, "text": "x", "reply_markup": {"keyboard_please": True}},
        "reply_markup",
    ),
    (
        "callback answer too long",
        "answerCallbackQuery",
        {"callback_query_id": "q", "text": "x" * 201},
        "Bad Request: MESSAGE_TOO_LONG",
    ),
    (
        "poll question too long",
        "sendPoll",
        {"chat_id": 1, "question": "q" * 301, "options": [{"text": "a"}]},
        "poll question length must not exceed 300",
    ),
    (
        "13 poll options",
        "sendPoll",
        {"chat_id": 1, "question": "q", "options": [{"text": "a"}] * 13},
        "poll can't have more than 12 options",
    ),
    (
        "no poll options",
        "sendPoll",
        {"chat_id": 1, "question": "q", "options": []},
        "poll must have at least 1 option",
    ),
    (
        "poll option too long",
        "sendPoll",
        {"chat_id": 1, "question": "q", "options": [{"text": "o" * 101}]},
        "poll options length must not exceed 100",
    ),
    (
        "explanation too long",
        "sendPoll",
        {
            "chat_id": 1,
            "question": "q",
            "options": [{"text": "a"}, {"text": "b"}],
            "type": "quiz",
            "correct_option_ids": [0],
            "explanation": "e" * 201,
        },
        "explanation is too long",
    ),
    (
        "quiz without correct option",
        "sendPoll",
        {"chat_id": 1, "question": "q", "options": [{"text": "a"}], "type": "quiz"},
        "correct_option_ids must be specified",
    ),
    (
        "quiz correct option out of range",
        "sendPoll",
        {
            "chat_id": 1,
            "question": "q",
            "options": [{"text": "a"}],
            "type": "quiz",
            "correct_option_ids": [1],
        },
        "wrong correct option ids",
    ),
    (
        "edit without text",
        "editMessageText",
        {"chat_id": 1, "message_id": 1},
        "message text is empty",
    ),
]


@pytest.mark.parametrize(
    ("method", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_calls_get_telegrams_400(
    method: str, params: dict[str, Any], expected: str
) -> None:
    code, description = _refusal(method, params)
    assert code == 400
    assert expected in description


@pytest.mark.parametrize(
    ("text", "parse_mode"),
    [
        ("x" * 4096, None),
        ("é" * 4096, None),
        ("<b>" + "x" * 4096 + "</b>", "HTML"),
        ("&lt;" * 4096, "HTML"),
    ],
    ids=["4096 ascii", "4096 two-byte", "html tags not counted", "html entities count once"],
)
def test_text_limit_counts_characters_after_entity_parsing(
    text: str, parse_mode: str | None
) -> None:
    params: dict[str, Any] = {"chat_id": 1, "text": text}
    if parse_mode:
        params["parse_mode"] = parse_mode
    assert _validate("sendMessage", params)["text"] == text


def test_callback_data_of_exactly_64_bytes_passes() -> None:
    data = "é" * 32
    assert len(data.encode()) == 64
    _validate("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": _button(data)})


def test_reply_markup_union_picks_the_kind_that_fits() -> None:
    params = {"chat_id": 1, "text": "x", "reply_markup": '{"remove_keyboard": true}'}
    assert _validate("sendMessage", params)["reply_markup"] == {"remove_keyboard": True}


def test_quiz_poll_with_correct_option_ids_passes() -> None:
    params = {
        "chat_id": "-5",
        "question": "2+2?",
        "options": '[{"text": "3"}, {"text": "4"}]',
        "type": "quiz",
        "correct_option_ids": "[1]",
        "is_anonymous": "false",
    }
    out = _validate("sendPoll", params)
    assert out["options"] == [{"text": "3"}, {"text": "4"}]
    assert out["correct_option_ids"] == [1]
    assert out["is_anonymous"] is False
