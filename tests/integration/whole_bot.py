"""The bot as a user meets it, short of the writer: the real webhook (gunicorn,
pgbouncer, PostgreSQL) behind the fake Telegram, and the real sender (with its
upload worker) in-process; and what a scripted user does and sees there.

The control client blocks, so a user's actions and waits run off the event
loop the sender runs on.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from quizbot.sender.daemon import Sender
from quizbot.sender.uploads import UploadRules
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import User
from tests.integration.sender_harness import TOKEN, InProcessSender, sender_settings, sim_get
from tests.integration.webtier import BOT_USERNAME, SECRET, web_server

REPLY_S = 30.0  # a loaded machine: the webhook, a poll of the worker, the sender


@asynccontextmanager
async def bot(
    settings: Settings, sim: RunningSim, pooled_url: str, tmp_path: Path, quota: int = 50
) -> AsyncIterator[Sender]:
    """The webhook behind the fake Telegram, and a sender that imports uploads."""
    env = {"QUOTA_QUIZZES_PER_USER": str(quota)}
    with web_server(pooled_url, tmp_path, **env) as server:
        hook = {"url": f"{server.url}/telegram/webhook", "secret_token": SECRET}
        async with httpx.AsyncClient(timeout=10) as http:
            (await http.post(f"{sim.url}/bot{TOKEN}/setWebhook", json=hook)).raise_for_status()
        rules = UploadRules(quota, 100, BOT_USERNAME)
        s = sender_settings(settings, sim, database_url=pooled_url)
        async with InProcessSender(s, uploads=rules, poll_s=0.2) as sender:
            yield sender


async def send(user: User, name: str, content: str, **fields: Any) -> None:
    """The user sends a file."""
    await asyncio.to_thread(user.send_document, name, content, **fields)


async def replies(user: User, after: int, count: int) -> list[dict[str, Any]]:
    """The bot's next ``count`` messages to ``user`` after its first ``after``."""

    def wait() -> list[dict[str, Any]]:
        user.wait_for(lambda m: len(user.bot_messages()) >= after + count, timeout=REPLY_S)
        return user.bot_messages()[after : after + count]

    return await asyncio.to_thread(wait)


def download(sim: RunningSim, file_id: str) -> bytes:
    """A file's bytes, fetched the way a Telegram client does: getFile, then the file."""
    path = sim_get(sim, f"/bot{TOKEN}/getFile?file_id={file_id}")["result"]["file_path"]
    with urllib.request.urlopen(f"{sim.url}/file/bot{TOKEN}/{path}", timeout=10) as response:
        data: bytes = response.read()
    return data
