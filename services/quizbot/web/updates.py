"""Telegram updates, reduced to the few fields the bot acts on.

The webhook parses each body with orjson and picks fields directly: building a
full ``telegram.Update`` costs far more CPU than the whole answer path may
spend (see docs/performance.md). Anything the bot does not act on becomes
:class:`Ignored`, named by its update type so it can be counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

# Chat member statuses that mean "the bot can no longer write here".
GONE_STATUSES = frozenset({"kicked", "left"})


class MalformedUpdate(ValueError):
    """Not JSON, not an object, or missing a field Telegram always sends."""


@dataclass(frozen=True, slots=True)
class User:
    """The sender of an update."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class CallbackPress:
    """A press of an inline button."""

    update_id: int
    query_id: str
    user: User
    data: str | None
    chat_id: int | None  # the chat of the message the button is on, when known
    chat_type: str | None


@dataclass(frozen=True, slots=True)
class PollVote:
    """A vote in a non-anonymous poll; ``option_ids`` is empty when retracted."""

    update_id: int
    poll_id: str
    user: User
    option_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Command:
    """A ``/command args`` message addressed to this bot."""

    update_id: int
    name: str  # lowercase, without the slash and the @bot suffix
    args: str
    user: User
    chat_id: int
    chat_type: str
    chat_title: str | None


@dataclass(frozen=True, slots=True)
class MemberChange:
    """The bot's own membership in a chat changed (blocked, removed, added back)."""

    update_id: int
    chat_id: int
    chat_type: str
    chat_title: str | None
    status: str

    @property
    def gone(self) -> bool:
        """Whether the bot can no longer write to the chat."""
        return self.status in GONE_STATUSES


@dataclass(frozen=True, slots=True)
class Migration:
    """A group became a supergroup with a new chat id."""

    update_id: int
    old_chat_id: int
    new_chat_id: int


@dataclass(frozen=True, slots=True)
class Ignored:
    """An update the bot does not act on; ``kind`` names it for the counters."""

    update_id: int
    kind: str


Update = CallbackPress | PollVote | Command | MemberChange | Migration | Ignored


def parse_update(body: bytes, bot_username: str | None = None) -> Update:
    """Reduce a webhook body to what the bot acts on, or raise :class:`MalformedUpdate`."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedUpdate(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MalformedUpdate("an update is a JSON object")
    update_id = raw.get("update_id")
    if type(update_id) is not int:
        raise MalformedUpdate("update_id must be an integer")
    try:
        if (query := raw.get("callback_query")) is not None:
            return _callback(update_id, query)
        if (answer := raw.get("poll_answer")) is not None:
            return _poll_vote(update_id, answer)
        if (member := raw.get("my_chat_member")) is not None:
            chat = member["chat"]
            return MemberChange(
                update_id,
                int(chat["id"]),
                str(chat["type"]),
                chat.get("title"),
                str(member["new_chat_member"]["status"]),
            )
        if (message := raw.get("message")) is not None:
            return _message(update_id, message, bot_username)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedUpdate(f"update {update_id}: missing or bad field {exc}") from exc
    kinds = [key for key in raw if key != "update_id"]
    return Ignored(update_id, kinds[0] if kinds else "empty")


def _user(raw: dict[str, Any]) -> User:
    return User(
        int(raw["id"]),
        str(raw.get("first_name", "")),
        raw.get("username"),
        raw.get("language_code"),
    )


def _callback(update_id: int, query: dict[str, Any]) -> CallbackPress:
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    chat_id = chat.get("id")
    return CallbackPress(
        update_id=update_id,
        query_id=str(query["id"]),
        user=_user(query["from"]),
        data=query.get("data"),
        chat_id=int(chat_id) if chat_id is not None else None,
        chat_type=chat.get("type"),
    )


def _poll_vote(update_id: int, answer: dict[str, Any]) -> Update:
    user = answer.get("user")
    if user is None:  # a vote on behalf of a chat (voter_chat): not a player
        return Ignored(update_id, "poll_answer_chat")
    return PollVote(
        update_id, str(answer["poll_id"]), _user(user), tuple(int(i) for i in answer["option_ids"])
    )


def _message(update_id: int, message: dict[str, Any], bot_username: str | None) -> Update:
    chat = message["chat"]
    if (new_id := message.get("migrate_to_chat_id")) is not None:
        return Migration(update_id, int(chat["id"]), int(new_id))
    if (old_id := message.get("migrate_from_chat_id")) is not None:
        return Migration(update_id, int(old_id), int(chat["id"]))
    text = message.get("text")
    sender = message.get("from")
    if not isinstance(text, str) or not text.startswith("/") or sender is None:
        return Ignored(update_id, "message")
    head, _, args = text.partition(" ")
    name, _, mention = head[1:].partition("@")
    # In a group "/top@other_bot" is meant for another bot.
    if mention and bot_username and mention.lower() != bot_username.lower():
        return Ignored(update_id, "message")
    return Command(
        update_id=update_id,
        name=name.lower(),
        args=args.strip(),
        user=_user(sender),
        chat_id=int(chat["id"]),
        chat_type=str(chat["type"]),
        chat_title=chat.get("title"),
    )
