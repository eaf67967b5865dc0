"""Reducing Telegram updates to what the bot acts on."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from quizbot.web.updates import (
    CallbackPress,
    Command,
    Ignored,
    InvalidUpdate,
    MalformedUpdate,
    MemberChange,
    Migration,
    PollVote,
    Update,
    parse_update,
)

USER = {"id": 42, "is_bot": False, "first_name": "Ada", "username": "ada", "language_code": "en"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Quiz night"}


def parse(update: dict[str, Any], bot: str | None = "quiz_bot") -> Update:
    return parse_update(orjson.dumps({"update_id": 7, **update}), bot)


def message(text: str, chat: dict[str, Any] = GROUP, **extra: Any) -> dict[str, Any]:
    return {
        "message": {"message_id": 1, "date": 1, "chat": chat, "from": USER, "text": text, **extra}
    }


def test_a_button_press_keeps_query_user_data_and_chat() -> None:
    press = parse(
        {
            "callback_query": {
                "id": "q1",
                "from": USER,
                "data": "a:5:0:1",
                "chat_instance": "1",
                "message": {"message_id": 3, "date": 1, "chat": GROUP},
            }
        }
    )
    assert isinstance(press, CallbackPress)
    assert (press.update_id, press.query_id, press.data) == (7, "q1", "a:5:0:1")
    assert (press.user.id, press.user.first_name, press.user.username) == (42, "Ada", "ada")
    assert (press.chat_id, press.chat_type) == (-100123, "supergroup")


def test_a_press_on_an_inline_message_has_no_chat() -> None:
    press = parse({"callback_query": {"id": "q", "from": USER, "chat_instance": "1", "data": "x"}})
    assert isinstance(press, CallbackPress) and press.chat_id is None


def test_a_poll_vote_keeps_poll_and_options() -> None:
    vote = parse({"poll_answer": {"poll_id": "p9", "user": USER, "option_ids": [2]}})
    assert isinstance(vote, PollVote)
    assert (vote.poll_id, vote.user.id, vote.option_ids) == ("p9", 42, (2,))


def test_a_vote_on_behalf_of_a_chat_is_not_a_player() -> None:
    vote = parse({"poll_answer": {"poll_id": "p9", "voter_chat": GROUP, "option_ids": [0]}})
    assert vote == Ignored(7, "poll_answer_chat")


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("/play capitals", "play", "capitals"),
        ("/PLAY   capitals  ", "play", "capitals"),
        ("/top@quiz_bot", "top", ""),
        ("/top@Quiz_Bot rivers", "top", "rivers"),
        ("/start join-12", "start", "join-12"),
    ],
)
def test_commands_are_split_into_name_and_arguments(text: str, name: str, args: str) -> None:
    cmd = parse(message(text))
    assert isinstance(cmd, Command)
    assert (cmd.name, cmd.args, cmd.chat_id, cmd.chat_type) == (name, args, -100123, "supergroup")


@pytest.mark.parametrize("text", ["/top@other_bot", "hello there", ""])
def test_text_that_is_not_our_command_is_ignored(text: str) -> None:
    assert parse(message(text)) == Ignored(7, "message")


def test_a_group_migration_names_both_ids_from_either_side() -> None:
    old = {"id": -5, "type": "group", "title": "t"}
    new = {"id": -1005, "type": "supergroup", "title": "t"}
    assert parse(message("", old, migrate_to_chat_id=-1005)) == Migration(7, -5, -1005)
    assert parse(message("", new, migrate_from_chat_id=-5)) == Migration(7, -5, -1005)


@pytest.mark.parametrize(("status", "gone"), [("kicked", True), ("left", True), ("member", False)])
def test_the_bots_own_membership_says_whether_it_may_write(status: str, gone: bool) -> None:
    change = parse(
        {
            "my_chat_member": {
                "chat": GROUP,
                "from": USER,
                "date": 1,
                "old_chat_member": {"status": "member", "user": USER},
                "new_chat_member": {"status": status, "user": USER},
            }
        }
    )
    assert isinstance(change, MemberChange)
    assert change.gone is gone


@pytest.mark.parametrize(
    "update",
    [{"edited_message": {}}, {"chat_join_request": {}}, {}],
)
def test_other_update_types_are_ignored_by_kind(update: dict[str, Any]) -> None:
    parsed = parse(update)
    assert isinstance(parsed, Ignored)
    assert parsed.kind == (next(iter(update)) if update else "empty")


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b"null", b'"x"', b'{"update_id": NaN}', b"\xff\xfe{}", b"[" * 5000],
)
def test_bodies_that_are_not_json_objects_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(body)


PRESS = {"id": "q", "from": USER, "data": "a:1:0:0"}
CHAT_MEMBER = {"chat": GROUP, "new_chat_member": {"status": "kicked"}}


@pytest.mark.parametrize(
    "update",
    [
        {"callback_query": "x"},
        {"callback_query": []},
        {"callback_query": {"from": {"id": 1}}},
        {"callback_query": {**PRESS, "id": 5}},
        {"callback_query": {**PRESS, "id": "q\x00"}},
        {"callback_query": {**PRESS, "from": "x"}},
        {"callback_query": {**PRESS, "from": {"id": "x"}}},
        {"callback_query": {**PRESS, "from": {"id": True}}},
        {"callback_query": {**PRESS, "from": {"id": 1.0}}},
        {"callback_query": {**PRESS, "from": {"id": 2**63}}},
        {"callback_query": {**PRESS, "from": {"id": 2**64 - 1}}},
        {"callback_query": {**PRESS, "from": {"id": -5}}},
        {"callback_query": {**PRESS, "from": {"id": 1, "first_name": ["x"]}}},
        {"callback_query": {**PRESS, "data": 5}},
        {"callback_query": {**PRESS, "message": {"chat": {"id": 2**63, "type": "private"}}}},
        {"callback_query": {**PRESS, "message": {"chat": {"id": 1, "type": "bogus"}}}},
        {"poll_answer": []},
        {"poll_answer": {"poll_id": "p", "user": {"id": 1}}},
        {"poll_answer": {"poll_id": "p\x00", "user": USER, "option_ids": [0]}},
        {"poll_answer": {"poll_id": "p", "user": USER, "option_ids": [2**40]}},
        {"poll_answer": {"poll_id": "p", "user": USER, "option_ids": [-1]}},
        {"poll_answer": {"poll_id": "p", "user": USER, "option_ids": "0"}},
        {"my_chat_member": {**CHAT_MEMBER, "new_chat_member": {"status": "x" * 1000}}},
        {"my_chat_member": {**CHAT_MEMBER, "chat": {"id": -(2**63) - 1, "type": "group"}}},
        {"message": 5},
        {"message": {"text": "/help", "from": {"id": 1}}},
        {"message": {**message("/help")["message"], "text": {"x": 1}}},
        {"message": {**message("/help")["message"], "chat": {"id": 1.5, "type": "private"}}},
        {"message": {"chat": GROUP, "migrate_to_chat_id": 2**70}},
    ],
)
def test_json_that_can_never_be_applied_is_invalid_and_keeps_its_update_id(
    update: dict[str, Any],
) -> None:
    # The standard encoder writes ints of any size, as a hostile client could.
    body = json.dumps({"update_id": 7, **update}).encode()
    with pytest.raises(InvalidUpdate) as caught:
        parse_update(body)
    assert caught.value.update_id == 7


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id": true}',
        b'{"update_id": 1.5}',
        b'{"update_id": -1}',
        b"{}",
        b'{"update_id": 99999999999999999999}',
        b'{"update_id": "7"}',
    ],
)
def test_an_update_without_a_usable_id_is_invalid(body: bytes) -> None:
    with pytest.raises(InvalidUpdate) as caught:
        parse_update(body)
    assert caught.value.update_id is None


def test_a_lone_surrogate_is_still_json_so_the_update_is_invalid_not_malformed() -> None:
    body = b'{"update_id": 7, "message": {"text": "/help \\ud800", "chat": {"id": 1}}}'
    with pytest.raises(InvalidUpdate) as caught:
        parse_update(body)
    assert caught.value.update_id == 7


def test_the_reason_names_the_field_never_the_value() -> None:
    secret = "my-private-name"
    with pytest.raises(InvalidUpdate) as caught:
        parse({"callback_query": {**PRESS, "from": {"id": secret}}})
    assert caught.value.reason == "callback_query.from.id: not an integer"
    assert secret not in str(caught.value)


def test_nul_characters_are_stripped_from_names_titles_and_command_text() -> None:
    user = {**USER, "first_name": "A\x00da"}
    chat = {**GROUP, "title": "Quiz\x00 night"}
    cmd = parse({"message": {**message("/top\x00 now", chat)["message"], "from": user}})
    assert isinstance(cmd, Command)
    assert (cmd.name, cmd.args, cmd.user.first_name, cmd.chat_title) == (
        "top",
        "now",
        "Ada",
        "Quiz night",
    )


def test_odd_unicode_in_names_is_kept_and_long_names_are_cut() -> None:
    name = "\u202eAda 🎉" + "x" * 1000
    cmd = parse({"message": {**message("/me")["message"], "from": {**USER, "first_name": name}}})
    assert isinstance(cmd, Command)
    assert cmd.user.first_name == name[:256]
