"""Telegram's content rules that the spec's type information cannot express:
how long a text is "after entities parsing", which 400 description each
broken limit earns, and the few cross-field rules (inline buttons, quizzes).
"""

from __future__ import annotations

import html
import re
from typing import Any

from quizbot.sim.api import protocol

_TAG = re.compile(r"<[^>]*>")
_MD_ESCAPE = re.compile(r"\\(.)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(?<!\\)[*_~|`]")

# (owner, field) -> (description when empty, description when too long)
_LENGTH: dict[tuple[str, str], tuple[str, str]] = {
    ("sendMessage", "text"): (protocol.TEXT_EMPTY, protocol.TEXT_TOO_LONG),
    ("editMessageText", "text"): (protocol.TEXT_EMPTY, protocol.TEXT_TOO_LONG),
    ("InlineKeyboardButton", "callback_data"): (
        protocol.BUTTON_DATA_INVALID,
        protocol.BUTTON_DATA_INVALID,
    ),
    ("answerCallbackQuery", "text"): ("", protocol.CALLBACK_ANSWER_TOO_LONG),
    ("sendPoll", "question"): (
        "Bad Request: poll question must be non-empty",
        "Bad Request: poll question length must not exceed 300",
    ),
    ("InputPollOption", "text"): (
        "Bad Request: poll options must be non-empty",
        "Bad Request: poll options length must not exceed 100",
    ),
    ("sendPoll", "options"): (
        "Bad Request: poll must have at least 1 option",
        "Bad Request: poll can't have more than 12 options",
    ),
    ("sendPoll", "explanation"): ("", "Bad Request: explanation is too long"),
}

# Exactly one of the other fields says what an inline button does.
_BUTTON_PLAIN = frozenset({"text", "icon_custom_emoji_id", "style"})


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text Telegram keeps after parsing entities out of ``text``.

    HTML is exact enough (tags dropped, entities unescaped); Markdown is an
    approximation that drops markers and link targets. Without a parse mode
    the text is kept as sent.
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        return html.unescape(_TAG.sub("", text))
    if mode.startswith("markdown"):
        text = _MD_LINK.sub(r"\1", text)
        return _MD_ESCAPE.sub(r"\1", _MD_MARK.sub("", text))
    return text


def visible_length(text: str, parse_mode: str | None) -> int:
    """Characters Telegram counts against a limit "after entities parsing"."""
    return len(plain_text(text, parse_mode)) if parse_mode else len(text)


def missing_description(method: str, field: str) -> str:
    """What Telegram says when a required parameter is absent."""
    if (method, field) in _LENGTH and _LENGTH[method, field][0]:
        return _LENGTH[method, field][0]
    if field == "chat_id":
        return "Bad Request: chat_id is empty"
    return f'Bad Request: parameter "{field}" is required'


def range_description(
    owner: str, field: str, where: str, low: int, high: int, unit: str, size: int
) -> str:
    """What Telegram says when a length limit is broken."""
    known = _LENGTH.get((owner, field))
    if known:
        empty, too_long = known
        if size > high or not empty:
            return too_long
        return empty
    return f'Bad Request: field "{where}" must have {low}-{high} {unit}, got {size}'


def check_object(name: str, value: dict[str, Any], path: str) -> None:
    """Cross-field rules of an object type (after its fields are checked)."""
    if name == "InlineKeyboardButton" and len(value.keys() - _BUTTON_PLAIN) != 1:
        raise protocol.ApiError(400, protocol.BUTTON_TYPE_INVALID)


def check_method(name: str, params: dict[str, Any]) -> None:
    """Cross-field rules of a method call (after its fields are checked)."""
    if name == "sendPoll" and params.get("type") == "quiz":
        ids = params.get("correct_option_ids")
        if not ids:
            raise protocol.bad_request("correct_option_ids must be specified for quizzes")
        count = len(params["options"])
        if any(not 0 <= i < count for i in ids) or ids != sorted(set(ids)):
            raise protocol.bad_request("wrong correct option ids specified")
    elif name == "editMessageText" and "text" not in params and "rich_message" not in params:
        raise protocol.ApiError(400, protocol.TEXT_EMPTY)
