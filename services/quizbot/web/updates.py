"""Telegram updates, reduced to the few fields the bot acts on.

The webhook parses each body with orjson and picks fields directly: building a
full ``telegram.Update`` costs far more CPU than the whole answer path may
spend (see docs/performance.md). Anything the bot does not act on becomes
:class:`Ignored`, named by its update type so it can be counted.

Every field the bot acts on is read through :mod:`quizbot.web.fields`, so what
leaves this module is well-typed and fits the database. What cannot be read is
either :class:`MalformedUpdate` (not a JSON object at all: 400) or
:class:`InvalidUpdate` (JSON that can never be applied: 200, counted, so
Telegram stops sending it again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

from quizbot.domain import limits
from quizbot.web.fields import (
    BIGINT_MAX,
    FieldError,
    bigint,
    ident,
    int_list,
    obj,
    opt_bigint,
    opt_ident,
    opt_obj,
    opt_str,
    opt_text,
    text,
)

GROUP_TYPES = ("group", "supergroup")
# Chat member statuses that mean "the bot can no longer write here".
GONE_STATUSES = frozenset({"kicked", "left"})
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
# Bounds for strings the bot keeps; Telegram's own are smaller (names 64, titles 128).
ID_MAX = 256  # callback query and poll ids: opaque strings
NAME_MAX = 256
LANGUAGE_MAX = 35  # an IETF language tag
INLINE_QUERY_MAX = 256  # Telegram's inline query text limit
CAPTION_MAX = 1024  # a media caption, after entities parsing


class MalformedUpdate(ValueError):
    """Not JSON, or not a JSON object: not an update at all (400)."""


class InvalidUpdate(ValueError):
    """A JSON object that can never be applied: wrong types, out-of-range ids.

    ``reason`` names the field and the problem, never the value, so it can be
    logged; ``update_id`` is the update's id when it has a usable one.
    """

    def __init__(self, update_id: int | None, reason: str) -> None:
        super().__init__(reason)
        self.update_id = update_id
        self.reason = reason


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
class PrivateText:
    """A message in a private chat that is not a command: a /newquiz step, perhaps."""

    update_id: int
    user: User
    chat_id: int
    text: str


@dataclass(frozen=True, slots=True)
class DocumentUpload:
    """A file sent in a private chat: perhaps a quiz to import."""

    update_id: int
    user: User
    chat_id: int
    file_id: str
    file_name: str
    file_size: int | None  # what Telegram reports, before any download
    caption: str = ""


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
class AdminChange:
    """A ``chat_member`` update in which someone became or stopped being a group admin."""

    update_id: int
    chat_id: int


@dataclass(frozen=True, slots=True)
class InlineQuery:
    """``@bot <words>`` typed in any chat: inline mode asks for results."""

    update_id: int
    query_id: str
    user: User
    query: str


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


Update = (
    CallbackPress
    | PollVote
    | Command
    | PrivateText
    | DocumentUpload
    | MemberChange
    | AdminChange
    | InlineQuery
    | Migration
    | Ignored
)

ADMIN_STATUSES = frozenset({"creator", "administrator"})


def parse_update(body: bytes, bot_username: str | None = None) -> Update:
    """Reduce a webhook body to what the bot acts on.

    Raises :class:`MalformedUpdate` or :class:`InvalidUpdate` (see the module docstring).
    """
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raw = _lenient(body)
        raise InvalidUpdate(_usable_id(raw), "JSON with a lone surrogate or deep nesting") from None
    if type(raw) is not dict:
        raise MalformedUpdate("an update is a JSON object")
    update_id = _usable_id(raw)
    if update_id is None:
        raise InvalidUpdate(None, "update_id: not an integer in range")
    try:
        if (query := opt_obj(raw, "callback_query", "update")) is not None:
            return _callback(update_id, query)
        if (answer := opt_obj(raw, "poll_answer", "update")) is not None:
            return _poll_vote(update_id, answer)
        if (member := opt_obj(raw, "my_chat_member", "update")) is not None:
            return _member_change(update_id, member)
        if (inline := opt_obj(raw, "inline_query", "update")) is not None:
            return InlineQuery(
                update_id,
                ident(inline, "id", "inline_query", ID_MAX),
                _user(obj(inline, "from", "inline_query"), "inline_query.from"),
                text(inline, "query", "inline_query", INLINE_QUERY_MAX),
            )
        if (member := opt_obj(raw, "chat_member", "update")) is not None:
            return _admin_change(update_id, member)
        if (message := opt_obj(raw, "message", "update")) is not None:
            return _message(update_id, message, bot_username)
    except FieldError as exc:
        raise InvalidUpdate(update_id, str(exc)) from None
    kinds = [key for key in raw if key != "update_id"]
    return Ignored(update_id, kinds[0] if kinds else "empty")


def _lenient(body: bytes) -> Any:
    # orjson refuses what RFC 8259's grammar allows but UTF-8 cannot carry (an
    # escaped lone surrogate) and nesting past 1024 levels. Such a body is still
    # JSON, so it earns a 200 rather than a retry; the standard parser tells.
    try:
        raw = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedUpdate("not JSON") from exc
    if type(raw) is not dict:
        raise MalformedUpdate("an update is a JSON object")
    return raw


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _usable_id(raw: dict[str, Any]) -> int | None:
    update_id = raw.get("update_id")
    return update_id if type(update_id) is int and 0 <= update_id <= BIGINT_MAX else None


def _user(raw: dict[str, Any], path: str) -> User:
    return User(
        bigint(raw, "id", path, low=1),
        text(raw, "first_name", path, NAME_MAX),
        opt_text(raw, "username", path, NAME_MAX),
        opt_text(raw, "language_code", path, LANGUAGE_MAX),
    )


def _callback(update_id: int, query: dict[str, Any]) -> CallbackPress:
    message = opt_obj(query, "message", "callback_query") or {}
    chat = opt_obj(message, "chat", "callback_query.message") or {}
    return CallbackPress(
        update_id=update_id,
        query_id=ident(query, "id", "callback_query", ID_MAX),
        user=_user(obj(query, "from", "callback_query"), "callback_query.from"),
        data=opt_str(query, "data", "callback_query"),
        chat_id=opt_bigint(chat, "id", "callback_query.message.chat"),
        chat_type=opt_ident(chat, "type", "callback_query.message.chat", 16, CHAT_TYPES),
    )


def _poll_vote(update_id: int, answer: dict[str, Any]) -> Update:
    user = opt_obj(answer, "user", "poll_answer")
    if user is None:  # a vote on behalf of a chat (voter_chat): not a player
        return Ignored(update_id, "poll_answer_chat")
    return PollVote(
        update_id,
        ident(answer, "poll_id", "poll_answer", ID_MAX),
        _user(user, "poll_answer.user"),
        int_list(answer, "option_ids", "poll_answer", 0, limits.OPTIONS_MAX),
    )


def _member_change(update_id: int, member: dict[str, Any]) -> MemberChange:
    chat = obj(member, "chat", "my_chat_member")
    new_member = obj(member, "new_chat_member", "my_chat_member")
    return MemberChange(
        update_id,
        bigint(chat, "id", "my_chat_member.chat"),
        ident(chat, "type", "my_chat_member.chat", 16, CHAT_TYPES),
        opt_text(chat, "title", "my_chat_member.chat", NAME_MAX),
        ident(new_member, "status", "my_chat_member.new_chat_member", 16, MEMBER_STATUSES),
    )


def _admin_change(update_id: int, member: dict[str, Any]) -> Update:
    chat = obj(member, "chat", "chat_member")
    old = obj(member, "old_chat_member", "chat_member")
    new = obj(member, "new_chat_member", "chat_member")
    was = ident(old, "status", "chat_member.old_chat_member", 16, MEMBER_STATUSES)
    now = ident(new, "status", "chat_member.new_chat_member", 16, MEMBER_STATUSES)
    if (was in ADMIN_STATUSES) != (now in ADMIN_STATUSES):
        return AdminChange(update_id, bigint(chat, "id", "chat_member.chat"))
    return Ignored(update_id, "chat_member")


def _message(update_id: int, message: dict[str, Any], bot_username: str | None) -> Update:
    chat = obj(message, "chat", "message")
    if message.get("migrate_to_chat_id") is not None:
        new_id = bigint(message, "migrate_to_chat_id", "message")
        return Migration(update_id, bigint(chat, "id", "message.chat"), new_id)
    if message.get("migrate_from_chat_id") is not None:
        old_id = bigint(message, "migrate_from_chat_id", "message")
        return Migration(update_id, old_id, bigint(chat, "id", "message.chat"))
    sender = opt_obj(message, "from", "message")
    if (document := opt_obj(message, "document", "message")) is not None:
        return _document(update_id, message, sender, document)
    command = text(message, "text", "message", limits.TEXT_MAX)
    if sender is None:
        return Ignored(update_id, "message")
    if not command.startswith("/"):
        if ident(chat, "type", "message.chat", 16, CHAT_TYPES) != "private":
            return Ignored(update_id, "message")
        user = _user(sender, "message.from")
        return PrivateText(update_id, user, bigint(chat, "id", "message.chat"), command)
    head, _, args = command.partition(" ")
    name, _, mention = head[1:].partition("@")
    # In a group "/top@other_bot" is meant for another bot.
    if mention and bot_username and mention.lower() != bot_username.lower():
        return Ignored(update_id, "message")
    return Command(
        update_id=update_id,
        name=name.lower(),
        args=args.strip(),
        user=_user(sender, "message.from"),
        chat_id=bigint(chat, "id", "message.chat"),
        chat_type=ident(chat, "type", "message.chat", 16, CHAT_TYPES),
        chat_title=opt_text(chat, "title", "message.chat", NAME_MAX),
    )


def _document(
    update_id: int,
    message: dict[str, Any],
    sender: dict[str, Any] | None,
    document: dict[str, Any],
) -> Update:
    chat = obj(message, "chat", "message")
    # Only a private chat's files are quizzes sent to the bot; a group's are for people.
    if sender is None or ident(chat, "type", "message.chat", 16, CHAT_TYPES) != "private":
        return Ignored(update_id, "message")
    return DocumentUpload(
        update_id,
        _user(sender, "message.from"),
        bigint(chat, "id", "message.chat"),
        ident(document, "file_id", "message.document", ID_MAX),
        text(document, "file_name", "message.document", NAME_MAX),
        opt_bigint(document, "file_size", "message.document"),
        text(message, "caption", "message", CAPTION_MAX),
    )
