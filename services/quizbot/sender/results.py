"""The batch-commit result writer: delivery results, one transaction per batch.

Writing each result on its own would cost a commit per message, more than the
send itself. Results wait here instead and are written together when the
buffer reaches ``max_batch`` or its oldest entry is ``max_wait_s`` old. A
failed write puts the batch back at the front, so nothing is lost while the
database is away; until the write succeeds the rows stay claimed by this
sender, and a crash in that window means they are sent again (at-least-once).

Entries keep their order: a chat's migration must be written after the results
of the messages that went to the old chat, and before those that went to the
new one.

Every error text is redacted on its way in (``quizbot.logs.redact``): Telegram's
and the HTTP library's errors can carry the bot token, and ``outbox.error`` is
read by operators.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from quizbot.logs import redact
from quizbot.sender.events import first_set
from quizbot.store import outbox_queries as q

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Blocked:
    """The chat blocked the bot (403): mark it and drop its pending rows."""

    chat_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Migrated:
    """The group became a supergroup: move its unsent rows."""

    old_chat_id: int
    new_chat_id: int


Entry = q.Outcome | Blocked | Migrated


def write(conn: Connection, me: str, entries: Sequence[Entry]) -> None:
    """Apply ``entries`` in order inside the caller's transaction.

    Consecutive outcomes go in one statement; chat events run where they fall.
    """
    outcomes: list[q.Outcome] = []
    for entry in entries:
        if isinstance(entry, q.Outcome):
            outcomes.append(entry)
            continue
        q.record_outcomes(conn, me, outcomes)
        outcomes = []
        if isinstance(entry, Blocked):
            q.block_chat(conn, entry.chat_id, entry.reason)
        else:
            q.migrate_chat(conn, entry.old_chat_id, entry.new_chat_id)
    q.record_outcomes(conn, me, outcomes)


class ResultBuffer:
    """Collects entries and flushes them on size or time through ``writer``."""

    def __init__(
        self,
        writer: Callable[[list[Entry]], Awaitable[None]],
        *,
        max_batch: int = 200,
        max_wait_s: float = 0.1,
        retry_s: float = 1.0,
        scrub: Callable[[str], str] = redact,
    ) -> None:
        self._writer = writer
        self._scrub = scrub
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.retry_s = retry_s
        self._entries: list[Entry] = []
        self._full = asyncio.Event()
        self._first = asyncio.Event()
        self.flushed = 0
        self.failures = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: Entry) -> None:
        """Buffer one entry, its error text redacted; a full buffer wakes the flusher."""
        if isinstance(entry, q.Outcome) and entry.error:
            entry = dataclasses.replace(entry, error=self._scrub(entry.error))
        elif isinstance(entry, Blocked):
            entry = dataclasses.replace(entry, reason=self._scrub(entry.reason))
        self._entries.append(entry)
        self._first.set()
        if len(self._entries) >= self.max_batch:
            self._full.set()

    async def flush(self) -> bool:
        """Write everything buffered now in one transaction; False (and kept) on failure."""
        batch, self._entries = self._entries, []
        self._full.clear()
        self._first.clear()
        if not batch:
            return True
        try:
            await self._writer(batch)
        except Exception:
            self._entries = batch + self._entries
            self._first.set()
            self.failures += 1
            log.exception("writing %d results failed; they stay buffered", len(batch))
            return False
        self.flushed += len(batch)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Flush on size or time until ``stop``; then flush what is left (see :meth:`drain`)."""
        while not stop.is_set():
            await first_set(self._first, stop)
            if stop.is_set():
                break
            # The first entry starts the clock: wait for more, up to max_wait_s.
            if not self._full.is_set():
                await first_set(self._full, stop, within=self.max_wait_s)
            if not await self.flush():
                await first_set(stop, within=self.retry_s)

    async def drain(self, attempts: int = 5) -> bool:
        """Flush until empty, retrying a few times; True when everything was written."""
        for attempt in range(attempts):
            if await self.flush() and not self._entries:
                return True
            await asyncio.sleep(min(self.retry_s, 0.2 * (attempt + 1)))
        return not self._entries
