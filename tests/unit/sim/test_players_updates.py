"""The updates the swarm's players cause (a command, a button press, through the
fake API's scripted-user actions) are Telegram's: valid per the Bot API spec,
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
from quizbot.sim.api import actions
from quizbot.sim.api.body import Body
from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.engine import FakeTelegram
from quizbot.sim.api.state import SimState
from quizbot.sim.api.updates import FIRST_USER_ID, GROUP_CHAT_ID, chat_instance

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
def tg() -> FakeTelegram:
    """A fake API with 5 players, all in the swarm's supergroup."""
    tg = FakeTelegram(SimConfig(limits=False))
    ids = [FIRST_USER_ID + i for i in range(5)]
    for user_id in ids:
        actions.create_user(tg.state, Body({"first_name": f"P{user_id}", "id": user_id}))
    actions.create_chat(tg.state, Body({"id": GROUP_CHAT_ID, "members": ids}))
    return tg


@pytest.fixture
def lobby(tg: FakeTelegram) -> dict[str, Any]:
    params = {"chat_id": GROUP_CHAT_ID, **render.lobby_message(7, Mode.GROUP, QUIZ, "sim_bot")}
    _, message = tg.apply("1:t", "sendMessage", params)
    assert isinstance(message, dict)
    return message


def act(state: SimState, user_id: int, action: str, **body: Any) -> dict[str, Any]:
    done: dict[str, Any] = getattr(actions, action)(state, state.people.users[user_id], Body(body))[
        "update"
    ]
    return done


def test_the_spec_check_itself_catches_a_broken_update() -> None:
    assert problems({"update_id": 1, "message": {"chat": {"id": 1}}}, "Update") != []
    assert problems({"update_id": "1"}, "Update") != []
    assert problems({"update_id": 1, "mesage": {}}, "Update") != []


def test_a_command_is_a_message_update_with_a_bot_command_entity(tg: FakeTelegram) -> None:
    user_id = FIRST_USER_ID + 3
    update = act(tg.state, user_id, "send_text", text="/start join-7")
    parsed = assert_telegram_update(update)
    assert parsed.message is not None
    assert parsed.message.text == "/start join-7"
    assert parsed.message.from_user is not None and parsed.message.from_user.id == user_id
    assert parsed.message.chat.type == "private" and parsed.message.chat.id == user_id
    entity = update["message"]["entities"][0]
    assert (entity["type"], entity["offset"], entity["length"]) == ("bot_command", 0, len("/start"))


def test_a_command_in_the_group_comes_from_the_host_in_the_group(tg: FakeTelegram) -> None:
    update = act(tg.state, FIRST_USER_ID, "send_text", text="/live space", chat_id=GROUP_CHAT_ID)
    parsed = assert_telegram_update(update)
    assert parsed.message is not None and parsed.message.chat.type == "supergroup"
    assert parsed.message.chat.id == GROUP_CHAT_ID


def test_a_button_press_carries_the_message_it_was_under(
    tg: FakeTelegram, lobby: dict[str, Any]
) -> None:
    user_id = FIRST_USER_ID + 2
    chat = {"chat_id": GROUP_CHAT_ID, "message_id": lobby["message_id"]}
    update = act(tg.state, user_id, "press", data="j:7", **chat)
    parsed = assert_telegram_update(update)
    query = parsed.callback_query
    assert query is not None
    assert query.data == "j:7"
    assert query.from_user.id == user_id and not query.from_user.is_bot
    assert query.message is not None and query.message.message_id == lobby["message_id"]
    assert query.message.chat.id == GROUP_CHAT_ID
    assert query.chat_instance == chat_instance(GROUP_CHAT_ID)


def test_update_ids_are_one_sequence_across_kinds_and_query_ids_are_unique(
    tg: FakeTelegram, lobby: dict[str, Any]
) -> None:
    built = []
    chat = {"chat_id": GROUP_CHAT_ID, "message_id": lobby["message_id"]}
    for user_id in range(FIRST_USER_ID, FIRST_USER_ID + 5):
        built.append(act(tg.state, user_id, "press", data="j:7", **chat))
        built.append(act(tg.state, user_id, "send_text", text="/me"))
    first = built[0]["update_id"]
    assert [u["update_id"] for u in built] == list(range(first, first + 10))
    queries = [u["callback_query"]["id"] for u in built if "callback_query" in u]
    assert len(set(queries)) == len(queries)


def test_chat_instance_is_one_stable_value_per_chat() -> None:
    assert chat_instance(-4001) == chat_instance(-4001) != chat_instance(-4002)


def test_a_poll_vote_is_a_poll_answer_update_telegram_would_send(tg: FakeTelegram) -> None:
    params = {
        "chat_id": GROUP_CHAT_ID,
        "question": "Closest to the Sun?",
        "options": [{"text": "Venus"}, {"text": "Mercury"}],
        "type": "quiz",
        "correct_option_ids": [1],
        "is_anonymous": False,
    }
    _, poll_message = tg.apply("1:t", "sendPoll", params)
    assert isinstance(poll_message, dict)
    voter = FIRST_USER_ID + 3
    chat = {"chat_id": GROUP_CHAT_ID, "message_id": poll_message["message_id"]}
    update = act(tg.state, voter, "vote", option_ids=[1], **chat)
    parsed = assert_telegram_update(update)
    assert parsed.poll_answer is not None
    assert (parsed.poll_answer.poll_id, parsed.poll_answer.option_ids) == (
        poll_message["poll"]["id"],
        (1,),
    )
    assert update["poll_answer"]["user"]["id"] == voter
