"""Waiting for the first of several asyncio events, with a time limit.

The daemons' loops all sleep the same way: until there is work (a
notification, a full buffer), until shutdown, or until a poll interval has
passed, whichever comes first.
"""

from __future__ import annotations

import asyncio


async def first_set(*events: asyncio.Event, within: float | None = None) -> bool:
    """Wait until one of ``events`` is set or ``within`` seconds pass; True if one was set."""
    if any(e.is_set() for e in events):
        return True
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        done, _ = await asyncio.wait(waiters, timeout=within, return_when="FIRST_COMPLETED")
    finally:
        for w in waiters:
            w.cancel()
    return bool(done)
