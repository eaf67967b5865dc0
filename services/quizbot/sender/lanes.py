"""Per-chat lanes: one chat's messages in id order, never two at once.

Every claimed row goes into the lane of its chat, a heap ordered by outbox id.
Workers ask :meth:`Lanes.next` for work: it hands out the head of a lane that
is idle and whose chat may be written to now (the rate limiter says when), so
ten workers serve thousands of chats without ever sending two messages of one
chat concurrently or out of order.

A lane can be *held*: when its head goes back to the database for a retry, the
lane keeps the later rows it already holds but sends none of them until the
retried row is claimed again and comes back (the claim never takes rows behind
a waiting retry, so nothing newer overtakes it either).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from quizbot.store.events import first_set
from quizbot.store.outbox_queries import ClaimedRow


@dataclass
class Lane:
    """The claimed, unsent rows of one chat."""

    chat_id: int
    rows: list[tuple[int, ClaimedRow]] = field(default_factory=list)
    busy: bool = False
    # The id of a row of this chat waiting in the database for a retry.
    held_for: int | None = None
    scheduled_at: float | None = None

    def sendable(self) -> bool:
        """Whether the head may go next (idle, not held behind an earlier row)."""
        if self.busy or not self.rows:
            return False
        return self.held_for is None or self.rows[0][0] <= self.held_for


class Lanes:
    """Every chat's lane, and the schedule of which chat may send next."""

    def __init__(self, ready_at: Callable[[int], float], clock: Callable[[], float]) -> None:
        self._ready_at = ready_at
        self._clock = clock
        self._lanes: dict[int, Lane] = {}
        self._schedule: list[tuple[float, int, int]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._closed = False
        # Chats that became supergroups: rows for the old id go to the new one.
        self._moved: dict[int, int] = {}
        self.depth = 0
        self.in_flight = 0

    def add(self, rows: Iterable[ClaimedRow]) -> None:
        """Queue claimed rows, each in its chat's lane."""
        for row in rows:
            new_id = self._moved.get(row.chat_id)
            if new_id is not None:
                row = moved(row, new_id)
            lane = self._lanes.get(row.chat_id)
            if lane is None:
                lane = self._lanes[row.chat_id] = Lane(row.chat_id)
            heapq.heappush(lane.rows, (row.id, row))
            if lane.held_for == row.id:
                lane.held_for = None
            self.depth += 1
            self._schedule_lane(lane)

    async def next(self) -> tuple[Lane, ClaimedRow] | None:
        """The next row any worker may send, waiting until one is due; None once closed."""
        while not self._closed:
            now = self._clock()
            while self._schedule:
                at, _, chat_id = self._schedule[0]
                lane = self._lanes.get(chat_id)
                if lane is None or lane.scheduled_at != at or not lane.sendable():
                    heapq.heappop(self._schedule)
                    continue
                if at > now:
                    break
                heapq.heappop(self._schedule)
                lane.scheduled_at = None
                ready = self._ready_at(chat_id)
                if ready > now:
                    self._schedule_lane(lane, ready)
                    continue
                _, row = heapq.heappop(lane.rows)
                if lane.held_for == row.id:
                    lane.held_for = None
                lane.busy = True
                self.depth -= 1
                self.in_flight += 1
                return lane, row
            timeout = self._schedule[0][0] - now if self._schedule else None
            self._wake.clear()
            await first_set(self._wake, within=timeout)
        return None

    def done(self, lane: Lane) -> None:
        """A worker finished with ``lane``'s head; the lane may go again."""
        lane.busy = False
        self.in_flight -= 1
        if lane.rows:
            self._schedule_lane(lane)
        elif lane.held_for is None and self._lanes.get(lane.chat_id) is lane:
            del self._lanes[lane.chat_id]

    def put_back(self, lane: Lane, row: ClaimedRow) -> None:
        """Return an unsent row to the head of its lane (after a 429, or at shutdown)."""
        heapq.heappush(lane.rows, (row.id, row))
        self.depth += 1

    def hold(self, lane: Lane, row_id: int) -> None:
        """``row_id`` went back to the database for a retry: hold the later rows."""
        lane.held_for = row_id if lane.held_for is None else min(lane.held_for, row_id)

    def drop_queued(self, lane: Lane) -> list[ClaimedRow]:
        """Take every queued row out of ``lane`` (its chat blocked the bot)."""
        rows = [row for _, row in sorted(lane.rows)]
        lane.rows.clear()
        lane.held_for = None
        self.depth -= len(rows)
        return rows

    def migrate(self, lane: Lane, row: ClaimedRow, new_chat_id: int) -> None:
        """``lane``'s chat became ``new_chat_id``: move ``row`` and the queued rows there."""
        self._moved[lane.chat_id] = new_chat_id
        held_for = lane.held_for
        rows = [row, *self.drop_queued(lane)]
        target = self._lanes.get(new_chat_id)
        if target is None:
            target = self._lanes[new_chat_id] = Lane(new_chat_id)
        if held_for is not None:
            self.hold(target, held_for)
        for r in rows:
            heapq.heappush(target.rows, (r.id, moved(r, new_chat_id)))
        self.depth += len(rows)
        self._schedule_lane(target)

    def take_all(self) -> list[ClaimedRow]:
        """Empty every lane (shutdown); returns the rows that were queued."""
        rows = [row for lane in self._lanes.values() for _, row in lane.rows]
        for lane in self._lanes.values():
            lane.rows.clear()
        self.depth = 0
        return rows

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Hand out no more work: every waiting :meth:`next` returns None."""
        self._closed = True
        self._wake.set()

    def full(self, window: int) -> list[int]:
        """Chats whose lane holds ``window`` rows or more (claim none for them now)."""
        return [c for c, lane in self._lanes.items() if len(lane.rows) + lane.busy >= window]

    def held_rows(self) -> int:
        """Queued rows waiting behind a retry."""
        return sum(len(lane.rows) for lane in self._lanes.values() if lane.held_for is not None)

    def _schedule_lane(self, lane: Lane, at: float | None = None) -> None:
        if not lane.sendable():
            return
        when = self._ready_at(lane.chat_id) if at is None else at
        if lane.scheduled_at is not None and lane.scheduled_at <= when:
            return
        lane.scheduled_at = when
        heapq.heappush(self._schedule, (when, next(self._seq), lane.chat_id))
        if self._schedule[0][0] >= when:
            # The new entry is the earliest: wake the workers waiting for a later one.
            self._wake.set()


def moved(row: ClaimedRow, chat_id: int) -> ClaimedRow:
    """``row`` addressed to ``chat_id`` instead."""
    return replace(row, chat_id=chat_id, params={**row.params, "chat_id": chat_id})
