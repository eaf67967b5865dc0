"""The Bot API as the sender calls it: python-telegram-bot's ``Bot`` on aiohttp.

The outbox stores each call as a method name and its JSON parameters, so the
sender calls ``Bot.do_api_request`` generically rather than one typed method
per call: PTB still builds the request and turns Telegram's error answers into
its exception classes (which ``quizbot.telegram.errors.decide`` maps), and the
result comes back as plain JSON, not parsed into objects nobody reads.

``do_api_request`` warns when a typed method of the same name exists; the
sender calls it that way on purpose, so that warning is silenced here, like
PTB 22's notice (raised from inside every ``RetryAfter``) that ``retry_after``
will become a timedelta: ``quizbot.telegram.errors`` reads either form.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from typing import Any

from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from quizbot.telegram.errors import backoff
from quizbot.telegram.request import AiohttpRequest

log = logging.getLogger(__name__)


class BotTransport:
    """A ``telegram.Bot`` for ``token`` against ``api_url`` (``https://api.telegram.org``)."""

    def __init__(self, token: str, api_url: str, pool_size: int = 32, timeout_s: float = 10.0):
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)
        warnings.filterwarnings("ignore", message=".*retry_after", category=PTBDeprecationWarning)
        self.request = AiohttpRequest(
            connection_pool_size=pool_size,
            read_timeout=timeout_s,
            write_timeout=timeout_s,
            connect_timeout=timeout_s,
            pool_timeout=timeout_s,
        )
        self.bot = Bot(
            token,
            base_url=api_url.rstrip("/") + "/bot",
            # Files download from <api>/file/bot<token>/<file_path>, like Telegram's.
            base_file_url=api_url.rstrip("/") + "/file/bot",
            request=self.request,
            # The sender never polls; this keeps PTB from opening an httpx client for it.
            get_updates_request=AiohttpRequest(connection_pool_size=1),
        )

    async def start(self, patience_s: float = 60.0) -> None:
        """Open the HTTP session and check the token (``getMe``).

        Telegram (or the simulator) being unreachable at start-up is transient:
        retry with backoff for ``patience_s`` before giving up. A rejected token
        fails at once, since no retry can fix it.
        """
        deadline = time.monotonic() + patience_s
        attempt = 0
        while True:
            try:
                await self.bot.initialize()
                return
            except (NetworkError, TimedOut) as exc:
                attempt += 1
                if time.monotonic() >= deadline:
                    raise
                delay = backoff(attempt, base=0.2, cap=5.0, jitter=random.random())
                log.warning("Bot API unreachable at start (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.bot.shutdown()

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Make one Bot API call; returns Telegram's ``result`` as JSON data."""
        return await self.bot.do_api_request(method, api_kwargs=params)

    async def download(self, file_id: str, max_bytes: int) -> bytes | None:
        """A file's bytes through getFile and the file URL; None when over ``max_bytes``.

        The size getFile reports is checked before the download, so a big file
        costs no transfer. Telegram's errors raise like any call's.
        """
        file = await self.bot.get_file(file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            return None
        data = bytes(await file.download_as_bytearray())
        return None if len(data) > max_bytes else data
