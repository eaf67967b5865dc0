"""What the simulated Telegram remembers: chats and their messages, polls,
the journal of accepted calls, the feed of deliveries, and counters.

Recording must stay cheap (the simulator has to sustain thousands of calls
per second on one core), so journals are plain lists with a sequence
offset, trimmed by half when full, and every stored message is a dict that
is never mutated once published: an edit stores a new dict, so a feed entry
keeps showing what the user saw at that moment.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quizbot.sim.api import protocol
from quizbot.sim.api.files import Files
from quizbot.sim.api.inbox import Inbox
from quizbot.sim.api.people import People

ChatId = int | str


class Journal:
    """An append-only list numbered from 1, keeping at most ``cap`` entries."""

    def __init__(self, cap: int) -> None:
        self.cap = max(2, cap)
        self.items: list[Any] = []
        self.first = 1  # sequence number of items[0]
        self._event: asyncio.Event | None = None
        self._generation = 0  # bumped by interrupt()

    @property
    def last(self) -> int:
        """Sequence number of the newest entry (0 when nothing was ever added)."""
        return self.first + len(self.items) - 1

    def append(self, item: Any) -> int:
        """Add ``item`` and return its sequence number; wake long-pollers."""
        if len(self.items) >= self.cap:
            drop = self.cap // 2
            del self.items[:drop]
            self.first += drop
        self.items.append(item)
        if self._event is not None:
            self._event.set()
            self._event = None
        return self.last

    def since(self, seq: int, limit: int) -> list[tuple[int, Any]]:
        """Entries after ``seq`` (oldest first), at most ``limit`` of them."""
        start = max(seq + 1, self.first) - self.first
        chunk = self.items[start : start + limit]
        return [(self.first + start + i, item) for i, item in enumerate(chunk)]

    async def wait(self, seq: int) -> None:
        """Return once an entry after ``seq`` exists or :meth:`interrupt` is called.

        Bound it with asyncio.timeout.
        """
        generation = self._generation
        while (not self.items or self.last <= seq) and generation == self._generation:
            if self._event is None:
                self._event = asyncio.Event()
            await self._event.wait()

    def clear(self) -> None:
        """Forget every entry and end every wait; numbering continues so readers never go back."""
        self.first = self.last + 1
        self.items = []
        self.interrupt()

    def interrupt(self) -> None:
        """End every current :meth:`wait` now (they return with nothing new)."""
        self._generation += 1
        if self._event is not None:
            self._event.set()
            self._event = None


@dataclass(slots=True)
class Chat:
    """One chat as the bot sees it."""

    info: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    # Earlier versions of edited messages, oldest first (what users saw before).
    edits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


def chat_info(chat_id: int) -> dict[str, Any]:
    """A plausible Telegram Chat object for ``chat_id``.

    Positive ids are users (private chats); ids below -10**12 (the "-100..."
    form) are supergroups; other negative ids are basic groups.
    """
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"Player {chat_id}"}
    kind = "supergroup" if chat_id < -(10**12) else "group"
    return {"id": chat_id, "type": kind, "title": f"Quiz {kind} {chat_id}"}


class SimState:
    """All of the simulator's memory; reset() forgets it."""

    def __init__(
        self,
        bot: dict[str, Any],
        wall_clock: Callable[[], float],
        clock: Callable[[], float],
        max_calls: int = 1_000_000,
        max_updates: int = 1_000_000,
        max_messages_per_chat: int = 10_000,
        first_update_id: int = 1,
    ) -> None:
        self.bot = bot
        self.wall_clock = wall_clock
        self.clock = clock
        self.max_messages = max_messages_per_chat
        self.calls = Journal(max_calls)
        self.feed = Journal(max_updates)
        self.stats: Counter[tuple[str, str]] = Counter()
        self.chats: dict[int, Chat] = {}
        self.polls: dict[str, tuple[int, int]] = {}
        self.poll_deadlines: dict[str, float] = {}  # poll id -> wall clock it closes
        self.webhook: dict[str, Any] = {"url": ""}
        self.webhook_error: tuple[int, str] | None = None  # (unix time, message)
        self.people = People()
        self.inbox = Inbox(first_update_id)
        self.files = Files()
        self._poll_seq = 0

    def reset(self) -> None:
        """Forget chats, polls, users, files, updates, recorded calls, the feed and counters."""
        self.calls.clear()
        self.feed.clear()
        self.stats.clear()
        self.chats.clear()
        self.polls.clear()
        self.poll_deadlines.clear()
        self.people.reset()
        self.inbox.clear()
        self.files.reset()
        self.webhook = {"url": ""}
        self.webhook_error = None

    def chat(self, chat_id: ChatId) -> Chat:
        """The chat with this id, created on first use; "@name" chats do not exist."""
        if not isinstance(chat_id, int):
            raise protocol.ApiError(400, protocol.CHAT_NOT_FOUND)
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(chat_info(chat_id))
        return chat

    def message(self, chat_id: ChatId, message_id: int) -> dict[str, Any] | None:
        """The current version of a stored message, or None."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        return chat.messages.get(message_id) if chat else None

    def post(
        self, chat_id: ChatId, body: dict[str, Any], sender: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Deliver a new message to a chat; return it as Telegram would.

        The bot's messages (no ``sender``) go to the feed; a user's own
        messages only take their place in the chat's numbering.
        """
        chat = self.chat(chat_id)
        message_id = chat.next_id
        chat.next_id += 1
        message = {
            "message_id": message_id,
            "from": sender or self.bot,
            "chat": chat.info,
            "date": int(self.wall_clock()),
            **body,
        }
        if len(chat.messages) >= self.max_messages:
            oldest = next(iter(chat.messages))
            del chat.messages[oldest]
            chat.edits.pop(oldest, None)
        chat.messages[message_id] = message
        if sender is None:
            self._publish("message", chat.info["id"], message_id, message)
        return message

    def replace(self, chat_id: int, message_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Store an edited copy of a message (``None`` values remove keys)."""
        chat = self.chats[chat_id]
        old = chat.messages[message_id]
        message = {**old, **changes}
        message["edit_date"] = int(self.wall_clock())
        for key in [k for k, v in changes.items() if v is None]:
            del message[key]
        chat.messages[message_id] = message
        chat.edits.setdefault(message_id, []).append(old)
        self._publish("edit", chat_id, message_id, message)
        return message

    def update_poll(self, poll: dict[str, Any]) -> None:
        """Store a poll's new state in its message (votes are not edits: no edit_date)."""
        chat_id, message_id = self.polls[poll["id"]]
        chat = self.chats[chat_id]
        message = chat.messages.get(message_id)
        if message is not None:
            chat.messages[message_id] = {**message, "poll": poll}

    def poll(self, poll_id: str) -> dict[str, Any] | None:
        """The current state of a poll the bot sent, or None."""
        where = self.polls.get(poll_id)
        message = self.message(*where) if where else None
        return message.get("poll") if message else None

    def delete(self, chat_id: int, message_id: int) -> None:
        """Remove a message from its chat."""
        del self.chats[chat_id].messages[message_id]
        self.chats[chat_id].edits.pop(message_id, None)
        self._publish("delete", chat_id, message_id, None)

    def new_poll_id(self) -> str:
        """A fresh poll id in Telegram's style (a long decimal string)."""
        self._poll_seq += 1
        return str(5_000_000_000_000_000_000 + self._poll_seq)

    def record(
        self,
        method: str,
        chat_id: ChatId | None,
        params: dict[str, Any],
        result: Any,
        outbox_id: int | None = None,
    ) -> None:
        """Journal one accepted call (cheap: one tuple appended)."""
        message_id = result.get("message_id") if isinstance(result, dict) else None
        entry = (self.wall_clock(), self.clock(), method, chat_id, params, message_id, outbox_id)
        self.calls.append(entry)

    def _publish(
        self, kind: str, chat_id: int, message_id: int, message: dict[str, Any] | None
    ) -> None:
        self.feed.append((kind, self.wall_clock(), chat_id, message_id, message))

    def webhook_outcome(self, outcome: dict[str, Any]) -> None:
        """Journal how the webhook took one update (``kind`` "webhook" on the feed).

        A user who pressed a button learns from it when the toast came back
        and what it said; a load test keeps it as ground truth.
        """
        self.feed.append(("webhook", self.wall_clock(), 0, 0, outcome))


def call_json(seq: int, entry: tuple[Any, ...]) -> dict[str, Any]:
    """A journal entry of ``SimState.calls`` as JSON-ready data."""
    at, mono, method, chat_id, params, message_id, outbox_id = entry
    return {
        "seq": seq,
        "at": at,
        "mono": mono,
        "method": method,
        "chat_id": chat_id,
        "params": params,
        "message_id": message_id,
        "outbox_id": outbox_id,
    }


def update_json(seq: int, entry: tuple[Any, ...]) -> dict[str, Any]:
    """A feed entry of ``SimState.feed`` as JSON-ready data."""
    kind, at, chat_id, message_id, message = entry
    if kind == "webhook":
        return {"seq": seq, "kind": kind, "at": at, "webhook": message}
    return {
        "seq": seq,
        "kind": kind,
        "at": at,
        "chat_id": chat_id,
        "message_id": message_id,
        "message": message,
    }
