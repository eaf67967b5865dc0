"""The webhook's contract with Telegram, against a real gunicorn and pgbouncer.

Status codes drive Telegram's retries, and a button press is answered in the
response body. Each test posts what Telegram would post and checks what
Telegram, the player or the database would see.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import telegram
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from tests.integration.webtier import (
    FIRST_PLAYER,
    answers,
    next_update_id,
    open_question,
    post,
    press,
    seed_quiz,
    web_server,
)

SPEC = Path(__file__).resolve().parents[2] / "services/quizbot/sim/spec/api.min.json"


@pytest.fixture
def server(pooled_url: str, tmp_path: Path) -> Iterator[WebServer]:
    with web_server(pooled_url, tmp_path, MAX_BODY_BYTES="4096") as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as http:
        yield http


@pytest.fixture
def session_id(engine: Engine) -> int:
    return open_question(engine, seed_quiz(engine), players=3)


def assert_valid_answer_callback_query(body: dict[str, object], query_id: str) -> None:
    """The body is a call Telegram accepts: answerCallbackQuery with valid fields."""
    spec = json.loads(SPEC.read_text())
    method = spec["methods"]["answerCallbackQuery"]
    fields = {f["name"]: f for f in method["fields"]}
    assert body["method"] == "answerCallbackQuery"
    params = {k: v for k, v in body.items() if k != "method"}
    assert set(params) <= set(fields), f"unknown fields: {set(params) - set(fields)}"
    assert all(name in params for name, f in fields.items() if f.get("required"))
    assert params["callback_query_id"] == query_id
    text = params["text"]
    assert isinstance(text, str) and 0 < len(text) <= 200
    # python-telegram-bot's own method takes exactly these arguments.
    accepted = inspect.signature(telegram.Bot.answer_callback_query).parameters
    assert all(name in accepted for name in params)


def test_an_answer_is_stored_and_answered_in_the_response_body(
    server: WebServer, client: httpx.Client, session_id: int, engine: Engine
) -> None:
    update = press(f"a:{session_id}:0:0", FIRST_PLAYER)
    response = post(client, server, update)
    assert response.status_code == 200
    body = response.json()
    assert_valid_answer_callback_query(body, update["callback_query"]["id"])
    assert body["text"] == "✅ Answer locked in"
    assert answers(engine, session_id) == [(0, FIRST_PLAYER, 0, True)]
