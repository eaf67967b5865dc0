"""Shared pieces of the sender's integration tests: the fake Bot API, the outbox,
and a sender running in-process or as its own process.

Every message the tests enqueue carries ``<chat>:<n>`` in its text, numbered
per chat in enqueue order, so order and duplicates are read back from the fake
API's own journal of accepted calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot import metrics
from quizbot.sender.daemon import Sender, SenderConfig
from quizbot.sender.meters import Meters
from quizbot.sender.transport import BotTransport
from quizbot.sender.uploads import UploadRules
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.store.database import engine_for
from quizbot.store.outbox import Message, enqueue, notify

TOKEN = "123456:TEST"
ROOT = Path(__file__).resolve().parents[2]


def sim_get(sim: RunningSim, path: str) -> Any:
    with urllib.request.urlopen(sim.url + path, timeout=10) as response:
        return json.loads(response.read())


def sim_post(sim: RunningSim, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        sim.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def calls(sim: RunningSim, method: str | None = None) -> list[dict[str, Any]]:
    """Every call the fake API accepted, oldest first."""
    out: list[dict[str, Any]] = []
    since = 0
    while True:
        page = sim_get(sim, f"/sim/calls?since={since}&limit=5000")["calls"]
        if not page:
            break
        out.extend(page)
        since = page[-1]["seq"]
    return [c for c in out if method is None or c["method"] == method]


def delivered(sim: RunningSim) -> dict[int, list[int]]:
    """Per chat, the message numbers the fake API received, in arrival order."""
    per_chat: dict[int, list[int]] = defaultdict(list)
    for call in calls(sim, "sendMessage"):
        _, n = call["params"]["text"].split(":")
        per_chat[call["chat_id"]].append(int(n))
    return dict(per_chat)


def duplicates(sim: RunningSim) -> int:
    seen = Counter((c["chat_id"], c["params"]["text"]) for c in calls(sim, "sendMessage"))
    return sum(n - 1 for n in seen.values() if n > 1)


def fill(engine: Engine, chats: Iterable[int], per_chat: int, *, notify_sender: bool = True) -> int:
    """Enqueue ``per_chat`` messages to every chat, interleaved; returns how many."""
    chats = list(chats)
    messages = [
        Message(chat_id=chat, method="sendMessage", params={"text": f"{chat}:{n}"})
        for n in range(per_chat)
        for chat in chats
    ]
    with engine.begin() as conn:
        enqueue(conn, messages)
        if notify_sender:
            notify(conn)
    return len(messages)


def statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status::text, count(*) FROM outbox GROUP BY 1"))
        return Counter({status: n for status, n in rows})


def rows(engine: Engine, where: str = "true") -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(f"SELECT * FROM outbox WHERE {where} ORDER BY id")))  # noqa: S608


async def settled(engine: Engine, within: float = 30.0) -> Counter[str]:
    """Wait until no row is pending or claimed; returns the status counts."""
    deadline = time.monotonic() + within
    while True:
        counts = await asyncio.to_thread(statuses, engine)
        if not counts["pending"] and not counts["claimed"]:
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not drained after {within} s: {dict(counts)}")
        await asyncio.sleep(0.1)


def sender_settings(settings: Settings, sim: RunningSim, **values: Any) -> Settings:
    """``settings`` aimed at ``sim``, with test-sized limits (override with ``values``)."""
    base: dict[str, Any] = dict(
        telegram_api_url=sim.url,
        telegram_bot_token=TOKEN,
        send_rate_per_s=0.0,
        per_chat_per_s=0.0,
        per_group_per_min=0,
        send_max_attempts=4,
        sender_lease_s=5.0,
    )
    base.update(values)
    return dataclasses.replace(settings, **base)


class InProcessSender:
    """A sender running as a task on the test's event loop."""

    def __init__(
        self, settings: Settings, *, uploads: UploadRules | None = None, **overrides: Any
    ) -> None:
        self.settings = settings
        self.config = SenderConfig.from_settings(settings, **overrides)
        self.engine, urls = engine_for(settings, "sender")
        self.transport = BotTransport(TOKEN, settings.telegram_api_url)
        meters = Meters(metrics.configure(settings, "sender"))
        self.sender = Sender(
            self.config,
            self.engine,
            urls.direct,
            TOKEN,
            self.transport.call,
            meters,
            uploads=None if uploads is None else (self.transport.download, uploads),
        )
        self.task: asyncio.Task[int] | None = None
        self.closed = False

    async def __aenter__(self) -> Sender:
        await self.transport.start()
        self.task = asyncio.create_task(self.sender.run())
        return self.sender

    async def stop(self) -> int:
        """SIGTERM's equivalent: set the stop event, wait for the exit status, clean up."""
        assert self.task is not None
        self.sender.stop.set()
        try:
            return await asyncio.wait_for(self.task, 30)
        finally:
            if not self.closed:
                self.closed = True
                await self.transport.close()
                self.engine.dispose()

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None:
            await self.stop()


def sender_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a ``quizbot-sender`` process use ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "QUIZBOT_"))}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is not None:
            env[field.name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    env["LOG_LEVEL"] = "INFO"
    return env


def start_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """Run ``quizbot-sender`` as its own process, logging to ``log``."""
    return subprocess.Popen(
        [sys.executable, "-c", "from quizbot.sender.main import main; main()"],
        env=sender_env(settings),
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30
) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout)
