"""The batch-commit result writer: delivery results, one transaction per batch.

Writing each result on its own would cost a commit per message, more than the
send itself. Results wait here instead and are written together when the
buffer reaches ``max_batch`` or its oldest entry is ``max_wait_s`` old. A
failed write puts the batch back at the front, so nothing is lost while the
database is away; until the write succeeds the rows stay claimed by this
sender, and a crash in that window means they are sent again (at-least-once).

While results cannot be written the sender must not go on sending (each send
it cannot record is a duplicate later): :meth:`ResultBuffer.writable` is False
after a failed write, or when the oldest buffered entry has waited
``hold_s``, and the workers take no new row until it is True again.

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
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from quizbot.logs import redact
from quizbot.store import admins, leases, updates
from quizbot.store import outbox_queries as q
from quizbot.store.events import first_set
from quizbot.store.outage import Backoff
from quizbot.store.polls import SentPoll, record_polls

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


@dataclass(frozen=True, slots=True)
class Admins:
    """A group's administrators, as getChatAdministrators returned them: cache them."""

    chat_id: int
    admin_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AdminsUnavailable:
    """A group's getChatAdministrators failed for good: answer the /stop requests waiting for it."""

    chat_id: int


Entry = q.Outcome | Blocked | Migrated | Admins | AdminsUnavailable | SentPoll


def write(conn: Connection, term: leases.Term, entries: Sequence[Entry]) -> None:
    """Apply ``entries`` in order inside the caller's transaction.

    Consecutive outcomes go in one statement; chat events run where they fall.
    Sent polls go in one statement too: their order does not matter, they only
    need to be in the same transaction as their rows' outcomes.
    """
    outcomes: list[q.Outcome] = []
    polls: list[SentPoll] = []
    for entry in entries:
        if isinstance(entry, q.Outcome):
            outcomes.append(entry)
            continue
        if isinstance(entry, SentPoll):
            polls.append(entry)
            continue
        q.record_outcomes(conn, term, outcomes)
        outcomes = []
        if isinstance(entry, Blocked):
            q.block_chat(conn, entry.chat_id, entry.reason)
        elif isinstance(entry, Admins):
            admins.store_admins(conn, entry.chat_id, entry.admin_ids)
        elif isinstance(entry, AdminsUnavailable):
            admins.give_up_checks(conn, entry.chat_id)
        else:
            updates.migrate_chat(conn, entry.old_chat_id, entry.new_chat_id)
    q.record_outcomes(conn, term, outcomes)
    record_polls(conn, polls)


class ResultBuffer:
    """Collects entries and flushes them on size or time through ``writer``."""

    def __init__(
        self,
        writer: Callable[[list[Entry]], Awaitable[None]],
        *,
        max_batch: int = 200,
        max_wait_s: float = 0.1,
        retry_s: float = 1.0,
        hold_s: float = 1.0,
        scrub: Callable[[str], str] = redact,
    ) -> None:
        self._writer = writer
        self._scrub = scrub
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.retry_s = retry_s
        self.hold_s = hold_s
        self._backoff = Backoff(first_s=min(0.2, retry_s), cap_s=retry_s)
        self._entries: list[Entry] = []
        self._oldest_at: float | None = None
        self.failing = False
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
        if self._oldest_at is None:
            self._oldest_at = time.monotonic()
        self._first.set()
        if len(self._entries) >= self.max_batch:
            self._full.set()

    def writable(self) -> bool:
        """Whether results are being recorded: no failed write, nothing waiting ``hold_s``."""
        if self.failing:
            return False
        return self._oldest_at is None or time.monotonic() - self._oldest_at < self.hold_s

    def take(self) -> list[Entry]:
        """Everything still buffered, removed (a term ends without writing it)."""
        batch, self._entries, self._oldest_at = self._entries, [], None
        return batch

    async def flush(self) -> bool:
        """Write everything buffered now in one transaction; False (and kept) on failure."""
        oldest_at = self._oldest_at
        batch = self.take()
        self._full.clear()
        self._first.clear()
        if not batch:
            return True
        try:
            await self._writer(batch)
        except Exception as exc:
            self._entries = batch + self._entries
            self._oldest_at = oldest_at
            self._first.set()
            self.failures += 1
            if not self.failing:
                log.warning("writing %d results failed (%s); they stay buffered", len(batch), exc)
            self.failing = True
            return False
        if self.failing:
            log.info("results are written again")
        self.failing = False
        self._backoff.reset()
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
                await first_set(stop, within=self._backoff.next())

    async def drain(self, attempts: int = 5) -> bool:
        """Flush until empty, retrying a few times; True when everything was written."""
        for attempt in range(attempts):
            if await self.flush() and not self._entries:
                return True
            await asyncio.sleep(min(self.retry_s, 0.2 * (attempt + 1)))
        return not self._entries
