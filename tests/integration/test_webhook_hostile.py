"""Hostile and odd updates against the real web tier: never a 5xx, never a victim.

Each payload here once got a 500 or 503 (issue 10). Telegram retries any
non-2xx, so such an update would come back forever and fail its group-commit
batch-mates each time. Now an update that can never be applied gets a 200, is
counted (``updates.invalid``) and is logged without its contents, and the
answers posted alongside it are recorded as usual.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.conftest import StatsdListener
from tests.integration.test_webhook_metrics import counter_total
from tests.integration.webtier import (
    FIRST_PLAYER,
    SECRET,
    answers,
    command,
    next_update_id,
    open_question,
    press,
    seed_quiz,
    web_server,
)

LOCKED_IN = "✅ Answer locked in"
# Planted in every hostile payload: it must never reach a log line.
MARKER = "MARKER-7f3a"

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(update: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = update
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


# (what is wrong, the update it starts from, the change): every one can never succeed.
INVALID: list[tuple[str, str, Mutation]] = [
    ("callback_query is a string", "press", _set("callback_query", MARKER)),
    ("callback_query is a list", "press", _set("callback_query", [MARKER])),
    ("poll_answer is a list", "press", lambda u: u.update(callback_query=None, poll_answer=[])),
    ("message is a number", "command", _set("message", 5)),
    ("user id above 2^63", "press", _set("callback_query.from.id", 2**63)),
    ("user id above 2^64", "press", _set("callback_query.from.id", 2**64 + 1)),
    ("user id negative", "press", _set("callback_query.from.id", -42)),
    ("user id a float", "press", _set("callback_query.from.id", 5000.0)),
    ("user id a bool", "press", _set("callback_query.from.id", True)),
    ("user id a string", "press", _set("callback_query.from.id", MARKER)),
    ("chat id above 2^63", "command", _set("message.chat.id", 2**63)),
    ("chat id a float", "command", _set("message.chat.id", -1.5)),
    ("chat type unknown", "command", _set("message.chat.type", MARKER)),
    ("first name an object", "command", _set("message.from.first_name", {"x": MARKER})),
    ("query id with a NUL", "press", _set("callback_query.id", "1\x00" + MARKER)),
    ("query id huge", "press", _set("callback_query.id", MARKER * 1000)),
    ("text deeply nested", "command", _set("message.text", json.loads("[" * 900 + "]" * 900))),
    ("update_id above 2^63", "press", _set("update_id", 2**63)),
    ("update_id negative", "press", _set("update_id", -1)),
    ("update_id a float", "press", _set("update_id", 1.0)),
    ("update_id a bool", "press", _set("update_id", True)),
]


def _base(kind: str, session_id: int) -> dict[str, Any]:
    if kind == "press":
        return press(f"a:{session_id}:0:1", FIRST_PLAYER + 1)
    return command("/help", FIRST_PLAYER + 7)


def _post_raw(client: httpx.Client, url: str, body: bytes) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    return client.post(url, content=body, headers=headers)


def test_updates_that_can_never_apply_get_200_are_counted_and_never_fail_an_answer(
    pooled_url: str, tmp_path: Path, engine: Engine, statsd: StatsdListener
) -> None:
    session_id = open_question(engine, seed_quiz(engine), players=3)
    bodies = []
    for _, kind, mutate in INVALID:
        update = copy.deepcopy(_base(kind, session_id))
        mutate(update)
        bodies.append(json.dumps(update).encode())
    # A lone surrogate is valid JSON grammar that no UTF-8 parser takes.
    surrogate = {"update_id": next_update_id(), "message": {"text": "\ud800" + MARKER}}
    bodies.append(json.dumps(surrogate).encode())
    good = press(f"a:{session_id}:0:0", FIRST_PLAYER)
    env = {"STATSD_PORT": str(statsd.port), "LOG_LEVEL": "info"}
    with (
        web_server(pooled_url, tmp_path, **env) as server,
        httpx.Client(timeout=30) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        url = f"{server.url}/telegram/webhook"
        # The good answer travels with the hostile updates, at the same time.
        mixed = [*bodies[:10], json.dumps(good).encode(), *bodies[10:]]
        replies = list(pool.map(lambda b: _post_raw(client, url, b), mixed))
        good_reply = replies.pop(10)
        not_json = [_post_raw(client, url, b) for b in (b"{", b"[1]", b'"x"', b"[" * 5000)]
        log = server.log()
    statuses = {
        what: reply.status_code
        for (what, _, _), reply in zip(
            [*INVALID, ("lone surrogate", "", _set("x", 0))], replies, strict=True
        )
    }
    assert statuses == dict.fromkeys(statuses, 200)
    assert all(reply.content == b"" for reply in replies)  # no toast for a forged query id
    assert good_reply.json()["text"] == LOCKED_IN
    assert answers(engine, session_id) == [(0, FIRST_PLAYER, 0, True)]
    assert [reply.status_code for reply in not_json] == [400, 400, 400, 400]
    assert statsd.wait_for("quizbot.web.updates.invalid:")
    assert counter_total(statsd, "quizbot.web.updates.invalid:") == len(bodies)
    assert log.count("acknowledged and dropped") == len(bodies)
    assert MARKER not in log
    assert "Traceback" not in log


def test_nul_characters_and_odd_unicode_in_names_titles_and_commands_are_applied(
    pooled_url: str, tmp_path: Path, engine: Engine
) -> None:
    group = -100555
    update = command("/help", FIRST_PLAYER + 3, chat_id=group)
    update["message"]["text"] = "/help\x00"
    update["message"]["chat"]["title"] = "Quiz\x00 night \u202e🎉"
    update["message"]["from"]["first_name"] = "A\x00da \u200f" + "ü" * 5000
    with web_server(pooled_url, tmp_path) as server, httpx.Client(timeout=30) as client:
        reply = _post_raw(client, f"{server.url}/telegram/webhook", json.dumps(update).encode())
    assert reply.status_code == 200
    with engine.connect() as conn:
        title = conn.scalar(sa.text("SELECT title FROM chats WHERE id = :c"), {"c": group})
        name = conn.scalar(
            sa.text("SELECT first_name FROM players WHERE id = :p"), {"p": FIRST_PLAYER + 3}
        )
        queued = conn.scalar(
            sa.text("SELECT count(*) FROM outbox WHERE chat_id = :c"), {"c": group}
        )
    assert title == "Quiz night \u202e🎉"
    assert name == ("Ada \u200f" + "ü" * 5000)[:128]
    assert queued == 1  # the help text went to the group


def test_a_poison_answer_fails_alone_and_its_batch_mates_are_recorded(
    pooled_url: str, tmp_path: Path, engine: Engine
) -> None:
    good_players = 24
    session_id = open_question(engine, seed_quiz(engine), players=good_players + 1)
    poison_player = FIRST_PLAYER + good_players
    # A row the database refuses for its data, whatever the web tier checks: the
    # same path a value no validation foresaw would take.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"ALTER TABLE answers ADD CONSTRAINT poison CHECK (player_id <> {poison_player})"
            )
        )
    updates = [press(f"a:{session_id}:0:{p % 4}", FIRST_PLAYER + p) for p in range(good_players)]
    poison = press(f"a:{session_id}:0:0", poison_player)
    env = {"GROUP_COMMIT_MAX_WAIT_MS": "200", "FASTAPI_WORKERS": "1"}
    with (
        web_server(pooled_url, tmp_path, **env) as server,
        httpx.Client(timeout=30, limits=httpx.Limits(max_connections=40)) as client,
        ThreadPoolExecutor(good_players + 1) as pool,
    ):
        url = f"{server.url}/telegram/webhook"
        # All in flight at once, one worker, a 200 ms window: they share a flush.
        replies = list(
            pool.map(lambda u: _post_raw(client, url, json.dumps(u).encode()), [poison, *updates])
        )
        log = server.log()
    poison_reply, good_replies = replies[0], replies[1:]
    assert [r.status_code for r in good_replies] == [200] * good_players
    assert {r.json()["text"] for r in good_replies} == {LOCKED_IN}
    assert poison_reply.status_code == 200
    assert "text" not in poison_reply.json()  # the spinner stops; no toast
    recorded = answers(engine, session_id)
    assert [player for _, player, _, _ in recorded] == [
        FIRST_PLAYER + p for p in range(good_players)
    ]
    assert "writing them one by one" in log  # they did share a batch
