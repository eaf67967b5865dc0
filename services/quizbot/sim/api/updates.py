"""The parts of Telegram ``Update`` objects that scripted users cause, shaped as
Telegram sends them (the fake API's actions build the updates with them and
number them in its inbox), and the ids the player swarm uses by default.
"""

from __future__ import annotations

from typing import Any

FIRST_USER_ID = 10_000_000
# A "-100…" id: a supergroup, the only kind of group that holds more than
# 200 members (basic groups cannot host a 1,000-player quiz).
GROUP_CHAT_ID = -1_001_000_000_001
SUPERGROUP_BELOW = -(10**12)


def chat_instance(chat_id: int) -> str:
    """A stable ``chat_instance`` for a chat (Telegram: one opaque value per chat)."""
    return str((chat_id * 2_654_435_761) % (1 << 62) - (1 << 61))


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
