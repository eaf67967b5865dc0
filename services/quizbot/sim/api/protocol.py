"""Telegram-shaped answers: the success envelope, the error envelope and the
error descriptions the real Bot API uses.

The descriptions are Telegram's own strings, so code that matches on them
(python-telegram-bot, our error mapping) behaves the same against the
simulator as against api.telegram.org.
"""

from __future__ import annotations

from typing import Any

import orjson

# Telegram's real descriptions, as they arrive in the "description" field.
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_TYPE_INVALID = "Bad Request: text buttons are unallowed in the inline keyboard"
CALLBACK_ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
CHAT_NOT_FOUND = "Bad Request: chat not found"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
POLL_NOT_FOUND = "Bad Request: message with poll to stop not found"
POLL_ALREADY_CLOSED = "Bad Request: poll has already been closed"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
BLOCKED = "Forbidden: bot was blocked by the user"
KICKED_GROUP = "Forbidden: bot was kicked from the group chat"
KICKED_SUPERGROUP = "Forbidden: bot was kicked from the supergroup chat"
METHOD_NOT_FOUND = "Not Found: method not found"
UNAUTHORIZED = "Unauthorized"
BAD_GATEWAY = "Bad Gateway"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters.

    Raised anywhere in the simulator's request handling; the HTTP layer turns
    it into ``{"ok": false, "error_code": ..., "description": ...}``.
    """

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> bytes:
        """The JSON body Telegram sends for this error."""
        return error_body(self.code, self.description, self.parameters)


def bad_request(detail: str) -> ApiError:
    """A 400 whose description is ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


def retry_after(seconds: int) -> ApiError:
    """Telegram's flood-control answer: 429 with ``parameters.retry_after``."""
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def ok_body(result: Any) -> bytes:
    """The success envelope ``{"ok": true, "result": ...}``."""
    return orjson.dumps({"ok": True, "result": result})


def error_body(code: int, description: str, parameters: dict[str, Any] | None = None) -> bytes:
    """The error envelope; ``parameters`` is present only when it says something."""
    payload: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return orjson.dumps(payload)
