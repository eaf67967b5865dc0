"""The Telegram ``Update`` objects simulated players cause, shaped as Telegram sends them.

Telegram numbers the updates of one bot with a single increasing
``update_id``, whatever chat they come from; the web tier relies on it to
recognise a redelivery. :class:`UpdateFactory` hands out the next id when an
update is built, so the swarm builds each update just before posting it and a
retry reuses the built update (and its id) unchanged.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Telegram's own first names are free text; a few real ones make the
# leaderboards of a demo read like people rather than numbers.
FIRST_NAMES = ("Ada", "Alan", "Grace", "Linus", "Hedy", "Dennis", "Barbara", "Ken", "Radia", "Tim")
FIRST_USER_ID = 10_000_000
# A "-100…" id: a supergroup, the only kind of group that holds more than
# 200 members (basic groups cannot host a 1,000-player quiz).
GROUP_CHAT_ID = -1_001_000_000_001
SUPERGROUP_BELOW = -(10**12)


@dataclass(frozen=True, slots=True)
class SimUser:
    """One simulated Telegram user; their private chat with the bot has their id."""

    id: int
    first_name: str
    username: str

    @classmethod
    def numbered(cls, index: int, first_id: int = FIRST_USER_ID) -> SimUser:
        """Player ``index`` of a swarm: a stable id, name and username."""
        name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {index}"
        return cls(first_id + index, name, f"sim_player_{index}")

    def user(self) -> dict[str, Any]:
        """The Telegram ``User`` object."""
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": "en",
        }

    def private_chat(self) -> dict[str, Any]:
        """The ``Chat`` of this user's private chat with the bot."""
        return {
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "username": self.username,
        }


def group_chat(chat_id: int = GROUP_CHAT_ID, title: str = "Quiz night") -> dict[str, Any]:
    """The ``Chat`` of a group: a supergroup for "-100…" ids, a basic group otherwise."""
    kind = "supergroup" if chat_id < SUPERGROUP_BELOW else "group"
    return {"id": chat_id, "type": kind, "title": title}


def chat_instance(chat_id: int) -> str:
    """A stable ``chat_instance`` for a chat (Telegram: one opaque value per chat)."""
    return str((chat_id * 2_654_435_761) % (1 << 62) - (1 << 61))


def text_message(
    message_id: int, user: dict[str, Any], chat: dict[str, Any], date: int, text: str
) -> dict[str, Any]:
    """A ``Message`` from ``user`` with ``text``; a leading ``/command`` gets its entity."""
    head = {"message_id": message_id, "from": user, "chat": chat, "date": date}
    return {**head, **text_body(text)}


def text_body(text: str) -> dict[str, Any]:
    """A text message's content; a leading ``/command`` gets its ``bot_command`` entity."""
    body: dict[str, Any] = {"text": text}
    head = text.split(" ", 1)[0]
    if head.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(head)}]
    return body


def callback_query(
    query_id: str, user: dict[str, Any], message: dict[str, Any], data: str
) -> dict[str, Any]:
    """A ``CallbackQuery``: ``user`` pressed the button ``data`` under ``message``.

    ``message`` is the bot's message as it was delivered; Telegram attaches
    it to the query whole.
    """
    return {
        "id": query_id,
        "from": user,
        "message": message,
        "chat_instance": chat_instance(message["chat"]["id"]),
        "data": data,
    }


class UpdateFactory:
    """Builds updates with sequential ``update_id``s starting at ``first_update_id``."""

    def __init__(self, first_update_id: int, clock: Callable[[], float] = time.time) -> None:
        self.first_update_id = first_update_id
        self._update_ids = itertools.count(first_update_id)
        self._query_ids = itertools.count(1)
        # Messages sent by users; numbered apart from the bot's own messages.
        self._message_ids = itertools.count(1_000_000)
        self._clock = clock
        self.built = 0

    def _next(self) -> int:
        self.built += 1
        return next(self._update_ids)

    def command(self, user: SimUser, chat: dict[str, Any], text: str) -> dict[str, Any]:
        """A ``message`` update: ``user`` sends ``text`` (a ``/command args``) in ``chat``."""
        message = text_message(next(self._message_ids), user.user(), chat, int(self._clock()), text)
        return {"update_id": self._next(), "message": message}

    def press(self, user: SimUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        """A ``callback_query`` update: ``user`` pressed the button ``data`` under ``message``."""
        query_id = str(4_000_000_000_000_000_000 + next(self._query_ids))
        return {
            "update_id": self._next(),
            "callback_query": callback_query(query_id, user.user(), message, data),
        }

    def poll_answer(
        self, user: SimUser, poll: dict[str, Any], option_ids: list[int]
    ) -> dict[str, Any]:
        """A ``poll_answer`` update: ``user`` voted ``option_ids`` in the non-anonymous ``poll``."""
        options = poll.get("options", [])
        answer = {
            "poll_id": poll["id"],
            "user": user.user(),
            "option_ids": option_ids,
            "option_persistent_ids": [
                str(options[o].get("persistent_id", o)) if o < len(options) else str(o)
                for o in option_ids
            ],
        }
        return {"update_id": self._next(), "poll_answer": answer}
