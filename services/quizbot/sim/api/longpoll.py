"""getUpdates long polls, held the way Telegram's Bot API server holds them.

One long poll is pending at a time. A getUpdates that finds nothing and may
wait takes the place of the pending one, which is answered 409 "Conflict:
terminated by other getUpdates request" (tdlib/telegram-bot-api:
``Client::do_get_updates`` calls ``abort_long_poll``). The newest poller wins:
a bot whose HTTP client gave up on a slow poll and asked again gets its
updates, and only the request it abandoned is refused. A getUpdates that finds
updates answers at once and leaves the pending poll alone.

A pending poll ends early, with whatever there is then, when an update comes,
when its caller hangs up, when the simulator is reset and when the server
stops. The last matters: uvicorn cancels whatever still runs after its grace
period and answers it 500, which a fake Telegram must never say unless a fault
script says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from quizbot.sim.api import protocol

Look = Callable[[], list[Any]]


class _Pending:
    """One held poll: woken to look again, or ended (by another poll, a reset, a stop)."""

    __slots__ = ("ended", "replaced")

    def __init__(self) -> None:
        self.ended = asyncio.Event()
        self.replaced = False


class LongPoll:
    """The pending getUpdates long poll of one fake Bot API."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.closed = False
        self._pending: _Pending | None = None

    async def hold(
        self,
        look: Look,
        changed: Callable[[], Awaitable[None]],
        wait_s: float,
        gone: asyncio.Event | None = None,
    ) -> list[Any]:
        """Wait up to ``wait_s`` s until ``look()`` finds updates; return them (or []).

        ``changed()`` returns when the inbox may hold something new; ``gone``
        is set when the caller hangs up. Raises ApiError 409 when a later poll
        takes this one's place.
        """
        if self.closed or wait_s <= 0:
            return []
        if self._pending is not None:
            self._end(self._pending, replaced=True)
        me = self._pending = _Pending()
        try:
            deadline = self.clock() + wait_s
            while not me.ended.is_set() and not (gone is not None and gone.is_set()):
                left = deadline - self.clock()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await _first(changed(), me.ended.wait(), gone.wait() if gone else None)
                if me.replaced:
                    raise protocol.ApiError(409, protocol.POLL_CONFLICT)
                found = look()
                if found:
                    return found
            return []
        finally:
            if self._pending is me:
                self._pending = None

    def end(self) -> None:
        """End the pending poll now with what there is (a reset)."""
        if self._pending is not None:
            self._end(self._pending, replaced=False)

    def close(self) -> None:
        """The server is stopping: end the pending poll; later ones answer at once."""
        self.closed = True
        self.end()

    def _end(self, pending: _Pending, *, replaced: bool) -> None:
        pending.replaced = replaced
        pending.ended.set()
        if self._pending is pending:
            self._pending = None


async def _first(*waits: Awaitable[Any] | None) -> None:
    """Return when the first of ``waits`` is done; cancel the others."""
    tasks = {asyncio.ensure_future(w) for w in waits if w is not None}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
