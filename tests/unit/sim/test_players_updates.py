"""The updates simulated players cause are Telegram's: valid per the Bot API spec,
accepted by python-telegram-bot, and numbered like Telegram numbers them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import telegram

from quizbot.domain import render
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Mode
from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.engine import FakeTelegram
from quizbot.sim.api.updates import (
    GROUP_CHAT_ID,
    SimUser,
    UpdateFactory,
    chat_instance,
    group_chat,
)

SPEC = Path(__file__).resolve().parents[3] / "services/quizbot/sim/api/spec/api.min.json"
PRIMITIVES = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
}
QUIZ = Quiz(
    "planets",
    "Planets",
    "",
    (Question("Closest to the Sun?", ("Venus", "Mercury"), frozenset({1}), None, 20),),
)


@cache
def spec_types() -> dict[str, Any]:
    types: dict[str, Any] = json.loads(SPEC.read_text())["types"]
    return types


def problems(value: Any, kind: str, path: str = "") -> list[str]:
    """Where ``value`` breaks the spec's ``kind``: wrong types, missing or unknown fields."""
    if kind.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{path}: not an array"]
        return [p for i, v in enumerate(value) for p in problems(v, kind[9:], f"{path}[{i}]")]
    if kind in PRIMITIVES:
        return [] if PRIMITIVES[kind](value) else [f"{path}: not {kind}"]
    spec = spec_types()[kind]
    if "subtypes" in spec:
        fits = [problems(value, sub, path) for sub in spec["subtypes"]]
        return [] if any(not f for f in fits) else min(fits, key=len)
    if not isinstance(value, dict):
        return [f"{path}: not a {kind} object"]
    fields = {f["name"]: f for f in spec["fields"]}
    found = [f"{path}.{k}: not a field of {kind}" for k in value if k not in fields]
    found += [
        f"{path}.{n}: required" for n, f in fields.items() if f["required"] and n not in value
    ]
    for key, item in value.items():
        if key in fields:
            fits = [problems(item, t, f"{path}.{key}") for t in fields[key]["types"]]
            if all(fits):
                found += fits[0]
    return found


def assert_telegram_update(update: dict[str, Any]) -> telegram.Update:
    assert problems(update, "Update", "update") == []
    parsed = telegram.Update.de_json(update, None)
    assert parsed is not None and parsed.update_id == update["update_id"]
    return parsed


@pytest.fixture
def lobby() -> dict[str, Any]:
    tg = FakeTelegram(SimConfig(limits=False))
    params = {"chat_id": GROUP_CHAT_ID, **render.lobby_message(7, Mode.GROUP, QUIZ, "sim_bot")}
    _, message = tg.apply("1:t", "sendMessage", params)
    assert isinstance(message, dict)
    return message


def test_the_spec_check_itself_catches_a_broken_update() -> None:
    assert problems({"update_id": 1, "message": {"chat": {"id": 1}}}, "Update") != []
    assert problems({"update_id": "1"}, "Update") != []
    assert problems({"update_id": 1, "mesage": {}}, "Update") != []


def test_a_command_is_a_message_update_with_a_bot_command_entity() -> None:
    user = SimUser.numbered(3)
    update = UpdateFactory(500).command(user, user.private_chat(), "/start join-7")
    parsed = assert_telegram_update(update)
    assert parsed.message is not None
    assert parsed.message.text == "/start join-7"
    assert parsed.message.from_user is not None and parsed.message.from_user.id == user.id
    assert parsed.message.chat.type == "private" and parsed.message.chat.id == user.id
    entity = update["message"]["entities"][0]
    assert (entity["type"], entity["offset"], entity["length"]) == ("bot_command", 0, len("/start"))


def test_a_command_in_the_group_comes_from_the_host_in_the_group() -> None:
    host = SimUser.numbered(0)
    update = UpdateFactory(1).command(host, group_chat(), "/live space")
    parsed = assert_telegram_update(update)
    assert parsed.message is not None and parsed.message.chat.type == "supergroup"
    assert parsed.message.chat.id == GROUP_CHAT_ID


def test_a_button_press_carries_the_message_it_was_under(lobby: dict[str, Any]) -> None:
    user = SimUser.numbered(12)
    update = UpdateFactory(1).press(user, lobby, "j:7")
    parsed = assert_telegram_update(update)
    query = parsed.callback_query
    assert query is not None
    assert query.data == "j:7"
    assert query.from_user.id == user.id and not query.from_user.is_bot
    assert query.message is not None and query.message.message_id == lobby["message_id"]
    assert query.message.chat.id == GROUP_CHAT_ID
    assert query.chat_instance == chat_instance(GROUP_CHAT_ID)


def test_update_ids_are_one_sequence_across_kinds_and_query_ids_are_unique(
    lobby: dict[str, Any],
) -> None:
    factory = UpdateFactory(9_000)
    users = [SimUser.numbered(i) for i in range(5)]
    built = []
    for user in users:
        built.append(factory.press(user, lobby, "j:7"))
        built.append(factory.command(user, user.private_chat(), "/me"))
    assert [u["update_id"] for u in built] == list(range(9_000, 9_010))
    queries = [u["callback_query"]["id"] for u in built if "callback_query" in u]
    assert len(set(queries)) == len(queries)
    assert factory.built == 10


def test_players_have_distinct_ids_and_names_and_chats_their_kind() -> None:
    users = [SimUser.numbered(i) for i in range(1000)]
    assert len({u.id for u in users}) == 1000 and len({u.first_name for u in users}) == 1000
    assert users[0].id == 10_000_000 and users[999].id == 10_000_999
    assert group_chat(-1_001_000_000_001)["type"] == "supergroup"
    assert group_chat(-4001)["type"] == "group"
    assert chat_instance(-4001) == chat_instance(-4001) != chat_instance(-4002)


def test_a_poll_vote_is_a_poll_answer_update_telegram_would_send() -> None:
    factory = UpdateFactory(500)
    voter = SimUser.numbered(3)
    poll = {"id": "p-1", "options": [{"text": "A", "persistent_id": "x0"}, {"text": "B"}]}
    update = factory.poll_answer(voter, poll, [1])
    parsed = assert_telegram_update(update)
    assert parsed.poll_answer is not None
    assert (parsed.poll_answer.poll_id, parsed.poll_answer.option_ids) == ("p-1", (1,))
    assert update["poll_answer"]["user"]["id"] == voter.id
