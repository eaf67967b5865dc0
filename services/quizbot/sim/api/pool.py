"""An aiohttp session opened and closed with ``async with``, for the simulator's clients.

The asyncio control client (a thousand scripted users) keeps a fixed pool of
kept-alive connections for the life of one ``async with`` block. (The fake
API's webhook deliveries use the leaner :mod:`quizbot.sim.api.connections`.)
"""

from __future__ import annotations

from typing import Self

import aiohttp


class PooledSession:
    """Base of a client with ``pool_limit`` connections and a ``timeout``; use ``async with``."""

    pool_limit: int
    timeout: aiohttp.ClientTimeout
    _session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(limit=self.pool_limit, keepalive_timeout=60)
        self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
