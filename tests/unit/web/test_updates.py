"""Reducing Telegram updates to what the bot acts on."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from quizbot.web.updates import (
    CallbackPress,
    Command,
    Ignored,
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
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"update_id": true}',
        b'{"update_id": 1.5}',
        b'{"update_id": 1, "callback_query": {"from": {"id": 1}}}',
        b'{"update_id": 1, "callback_query": {"id": "1", "from": {"id": "x"}}}',
        b'{"update_id": 1, "poll_answer": {"poll_id": "p", "user": {"id": 1}}}',
        b'{"update_id": 1, "message": {"text": "/help", "from": {"id": 1}}}',
    ],
)
def test_bodies_that_are_not_telegram_updates_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(body)
