"""The group commit under concurrent answers: one commit holds many, none is lost.

The server's own figures (statsd, /monitoring/stats) say how many answers each
commit held; the database says what was stored.
"""

from __future__ import annotations

import asyncio
import select
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.store.database import libpq_dsn
from tests.conftest import StatsdListener
from tests.integration.webtier import (
    FIRST_PLAYER,
    SECRET,
    answers,
    open_question,
    press,
    seed_quiz,
    web_server,
)

ANSWERS = 400
CONNECTIONS = 100  # Telegram's maximum of concurrent webhook connections


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, object]


async def post_all(server: WebServer, updates: list[dict[str, object]]) -> list[Reply]:
    """POST every update at once over at most ``CONNECTIONS`` connections, like Telegram."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(update: dict[str, object]) -> Reply:
            async with http.post(
                f"{server.url}/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response:
                body = await response.json() if response.content_length else {}
                return Reply(response.status, body)

        return await asyncio.gather(*(one(update) for update in updates))


def batch_sizes(statsd: StatsdListener) -> list[int]:
    """Every flush's batch size the workers reported (statsd timer values)."""
    lines = statsd.wait_for("quizbot.web.commit.batch_size", timeout=1)
    return [int(float(line.split(":")[1].split("|")[0])) for line in lines]


@pytest.fixture
def start_server(
    pooled_url: str, tmp_path: Path, statsd: StatsdListener
) -> Iterator[Callable[[str], WebServer]]:
    """Starts gunicorn in a commit mode, reporting to the test's statsd listener."""
    with ExitStack() as stack:

        def start(mode: str) -> WebServer:
            env = {"COMMIT_MODE": mode, "STATSD_PORT": str(statsd.port)}
            return stack.enter_context(web_server(pooled_url, tmp_path, **env))

        yield start


def flush_sizes(statsd: StatsdListener, until: Callable[[list[int]], bool]) -> list[int]:
    """Batch sizes reported so far, waiting (workers flush figures each second) until ``until``."""
    sizes: list[int] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sizes = batch_sizes(statsd)
        if until(sizes):
            break
        time.sleep(0.1)
    return sizes


def test_concurrent_answers_share_commits_and_every_one_is_stored(
    start_server: Callable[[str], WebServer], engine: Engine, statsd: StatsdListener
) -> None:
    server = start_server("group")
    session_id = open_question(engine, seed_quiz(engine), players=ANSWERS)
    updates = [press(f"a:{session_id}:0:{i % 4}", FIRST_PLAYER + i) for i in range(ANSWERS)]
    responses = asyncio.run(post_all(server, updates))
    assert [r.status for r in responses] == [200] * ANSWERS
    assert {r.body["text"] for r in responses} == {"✅ Answer locked in"}
    assert len(answers(engine, session_id)) == ANSWERS
    with engine.connect() as conn:
        counted = conn.scalar(
            sa.text("SELECT answered_count FROM sessions WHERE id = :s"), {"s": session_id}
        )
    assert counted == ANSWERS
    sizes = flush_sizes(statsd, lambda sizes: sum(sizes) >= ANSWERS)
    assert sum(sizes) == ANSWERS
    assert max(sizes) > 1
    assert len(sizes) < ANSWERS / 4, f"{len(sizes)} commits for {ANSWERS} answers"


def test_in_naive_mode_every_answer_is_its_own_commit(
    start_server: Callable[[str], WebServer], engine: Engine, statsd: StatsdListener
) -> None:
    server = start_server("naive")
    session_id = open_question(engine, seed_quiz(engine), players=60)
    updates = [press(f"a:{session_id}:0:0", FIRST_PLAYER + i) for i in range(60)]
    responses = asyncio.run(post_all(server, updates))
    assert [r.status for r in responses] == [200] * 60
    assert len(answers(engine, session_id)) == 60
    assert flush_sizes(statsd, lambda sizes: len(sizes) >= 60) == [1] * 60


def test_the_last_participant_answering_wakes_the_writer(
    start_server: Callable[[str], WebServer], engine: Engine, db_url: str
) -> None:
    server = start_server("group")
    session_id = open_question(engine, seed_quiz(engine), players=3)
    listener = psycopg2.connect(libpq_dsn(db_url))
    listener.autocommit = True
    try:
        with listener.cursor() as cur:
            cur.execute("LISTEN quizbot_clock")
        asyncio.run(
            post_all(server, [press(f"a:{session_id}:0:0", FIRST_PLAYER + i) for i in range(2)])
        )
        # A notification reaches the socket asynchronously: give one time to arrive.
        select.select([listener], [], [], 1.0)
        listener.poll()
        assert listener.notifies == []  # two of three answered: nothing to do yet
        asyncio.run(post_all(server, [press(f"a:{session_id}:0:0", FIRST_PLAYER + 2)]))
        select.select([listener], [], [], 5)
        listener.poll()
        assert [n.payload for n in listener.notifies] == [str(session_id)]
    finally:
        listener.close()
