"""What an operator's statsd receives from the web tier."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from tests.conftest import StatsdListener
from tests.integration.webtier import (
    FIRST_PLAYER,
    checked,
    next_update_id,
    open_question,
    post,
    press,
    seed_quiz,
    web_server,
)


def test_requests_answers_updates_and_flushes_are_reported_to_statsd(
    pooled_url: str, tmp_path: Path, engine: Engine, statsd: StatsdListener
) -> None:
    session_id = open_question(engine, seed_quiz(engine), players=3)
    statsd_port = str(statsd.port)
    with (
        web_server(pooled_url, tmp_path, STATSD_PORT=statsd_port) as server,
        httpx.Client(timeout=15) as client,
    ):
        post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
        post(client, server, press(f"a:{session_id}:0:1", FIRST_PLAYER))
        post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER + 1, update_id=1))
        late = open_question(engine, seed_quiz(engine), deadline_s=-1)
        post(client, server, press(f"a:{late}:0:0", FIRST_PLAYER))
        edited = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}
        post(client, server, checked({"update_id": next_update_id(), "edited_message": edited}))
        post(client, server, press(f"a:{session_id}:0:2", FIRST_PLAYER + 2), secret="nope")
    expected = [
        "quizbot.web.http.webhook.200:",
        "quizbot.web.http.webhook.403:",
        "quizbot.web.http.webhook:",  # the request timer
        "quizbot.web.answers.accepted:",
        "quizbot.web.answers.duplicate:",
        "quizbot.web.answers.late:",
        "quizbot.web.updates.ignored.edited_message:",
        "quizbot.web.updates.forbidden:",
        "quizbot.web.commit.batch_size:",
        "quizbot.web.commit.flush_ms:",
    ]
    for prefix in expected:
        assert statsd.wait_for(prefix), f"no {prefix} in {sorted(statsd.names())}"
    # Counters carry exact counts: each request is counted once, under one verdict.
    exact = {
        "quizbot.web.answers.accepted:": 2,
        "quizbot.web.answers.duplicate:": 1,
        "quizbot.web.answers.late:": 1,
        "quizbot.web.updates.ignored.edited_message:": 1,
        "quizbot.web.updates.forbidden:": 1,
        "quizbot.web.http.webhook.403:": 1,
        "quizbot.web.http.webhook.200:": 5,
    }
    assert {prefix: counter_total(statsd, prefix) for prefix in exact} == exact


def counter_total(statsd: StatsdListener, prefix: str) -> int:
    """The sum of a counter's packets (``name:N|c``) received so far."""
    return sum(
        int(line.split(":", 1)[1].split("|")[0])
        for line in statsd.lines
        if line.startswith(prefix) and line.endswith("|c")
    )
