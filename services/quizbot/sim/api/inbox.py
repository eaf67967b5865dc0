"""The bot's queue of updates: what users did, waiting to reach the bot.

Telegram keeps the updates of a bot until they are confirmed, whichever way
they are fetched. ``getUpdates`` confirms every update below its ``offset``
(a negative offset keeps only the last ``-offset``); a webhook confirms an
update with a 2xx. Updates are numbered with one increasing ``update_id``.

``allowed_updates`` is remembered from the last call that gave it; like
Telegram, the default leaves out ``chat_member``, ``message_reaction`` and
``message_reaction_count``, and an update of a type the bot did not ask for
is dropped when it would have been delivered.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from typing import Any

OPT_IN = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def kind(update: dict[str, Any]) -> str:
    """The update's type: the one key besides ``update_id``."""
    return next(k for k in update if k != "update_id")


class Inbox:
    """Unconfirmed updates, oldest first, with a wake-up for long polls."""

    def __init__(self, first_update_id: int = 1, cap: int = 100_000) -> None:
        self.cap = cap
        self.first_update_id = first_update_id
        self._ids = itertools.count(first_update_id)
        self.pending: deque[dict[str, Any]] = deque()
        # update_id -> monotonic time it was queued: a webhook's latency counts
        # the wait for a free connection too, as a user waits for it.
        self.queued_at: dict[int, float] = {}
        self.allowed: frozenset[str] | None = None  # None: Telegram's default
        self.dropped = 0
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (``body`` is e.g. ``{"message": {...}}``); returns it with its id."""
        update = {"update_id": next(self._ids), **body}
        if len(self.pending) >= self.cap:  # nobody fetches: keep the newest, like a bounded log
            self._forget(self.pending.popleft())
            self.dropped += 1
        self.pending.append(update)
        self.queued_at[update["update_id"]] = time.monotonic()
        self._changed.set()
        return update

    def allow(self, allowed: list[str] | None) -> None:
        """Remember ``allowed_updates`` (None keeps the previous setting, [] the default)."""
        if allowed is not None:
            self.allowed = frozenset(allowed) or None

    def wanted(self, update: dict[str, Any]) -> bool:
        """Whether the bot asked for updates of this type."""
        name = kind(update)
        return name not in OPT_IN if self.allowed is None else name in self.allowed

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps the last ``-offset``."""
        if offset < 0:
            while len(self.pending) > -offset:
                self._forget(self.pending.popleft())
            return
        while self.pending and self.pending[0]["update_id"] < offset:
            self._forget(self.pending.popleft())

    def peek(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` updates the bot wants, oldest first; unwanted ones are dropped.

        It reads only as far as it needs: a webhook's delivery loop peeks on
        every new update while thousands may be waiting.
        """
        out: list[dict[str, Any]] = []
        unwanted: list[dict[str, Any]] = []
        for update in self.pending:
            if len(out) >= limit:
                break
            (out if self.wanted(update) else unwanted).append(update)
        for update in unwanted:
            self.pending.remove(update)
            self._forget(update)
            self.dropped += 1
        return out

    def remove(self, update_id: int) -> None:
        """Confirm one update (a webhook took it)."""
        # Deliveries mostly finish in order: the oldest is the usual one.
        if self.pending and self.pending[0]["update_id"] == update_id:
            self._forget(self.pending.popleft())
            return
        for i, update in enumerate(self.pending):
            if update["update_id"] == update_id:
                del self.pending[i]
                self._forget(update)
                return

    async def wait(self) -> None:
        """Return once something was added (or :meth:`interrupt` called) since the last wait.

        Bound it with asyncio.timeout. A wake-up may find nothing new: callers loop.
        """
        await self._changed.wait()
        self._changed.clear()

    def interrupt(self) -> None:
        """Wake every waiter (a reset, a webhook set)."""
        self._changed.set()

    def clear(self) -> None:
        """Forget every update; numbering goes on, as Telegram's does."""
        self.pending.clear()
        self.queued_at.clear()
        self.interrupt()

    def _forget(self, update: dict[str, Any]) -> None:
        self.queued_at.pop(update["update_id"], None)
