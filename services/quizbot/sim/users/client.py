"""A Python client of the simulator's control API: create users and groups,
make users act, and read what they have seen.

    sim = SimClient("http://127.0.0.1:8081")
    alice = sim.user("Alice")
    alice.send("/start")
    reply = alice.wait_for(lambda m: "Hello" in m.get("text", ""))
    alice.press(reply, text="Yes")
    assert alice.toasts()[-1]["text"] == "Thanks!"

Every call is one HTTP request; a refused one raises :class:`ControlRefused`
naming the field at fault.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

Message = dict[str, Any]


class ControlRefused(RuntimeError):
    """The simulator refused a control request (``status``, ``field``, ``error``)."""

    def __init__(self, status: int, field: str | None, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.field = field
        self.error = error


def refused(status: int, data: dict[str, Any]) -> ControlRefused:
    """The exception for a control answer with status >= 400."""
    # A Bot API call (setWebhook) answers with Telegram's ``description``.
    error = data.get("error") or data.get("description", "")
    return ControlRefused(status, data.get("field"), error)


def press_body(
    message: Message,
    data: str | None = None,
    text: str | None = None,
    button: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The ``press`` action's body: a button of ``message`` by data, label or (row, column)."""
    body = {
        "chat_id": message["chat"]["id"],
        "message_id": message["message_id"],
        "data": data,
        "text": text,
        "button": list(button) if button is not None else None,
    }
    return {k: v for k, v in body.items() if v is not None}


def group_body(
    title: str, members: Sequence[int], admins: Sequence[int], supergroup: bool
) -> dict[str, Any]:
    """The body of ``POST /sim/chats``: a group or supergroup with these users."""
    return {
        "title": title,
        "type": "supergroup" if supergroup else "group",
        "members": list(members),
        "admins": list(admins),
    }


class SimClient:
    """The control API of one running simulator at ``url``."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()

    def __enter__(self) -> SimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One control request; returns the JSON answer or raises ControlRefused."""
        response = self.http.request(method, path, json=body)
        data = response.json()
        if response.status_code >= 400:
            raise refused(response.status_code, data)
        return data

    def user(self, first_name: str, **fields: Any) -> User:
        """Create a user (``id``, ``username``, ``last_name`` optional)."""
        created = self.request("POST", "/sim/users", {"first_name": first_name, **fields})
        return User(self, created["user"])

    def group(
        self,
        title: str,
        members: Sequence[User] = (),
        admins: Sequence[User] = (),
        *,
        supergroup: bool = True,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Create a group (``supergroup=False``: a basic group); returns its Chat."""
        body = group_body(title, [u.id for u in members], [u.id for u in admins], supergroup)
        if chat_id is not None:
            body["id"] = chat_id
        chat: dict[str, Any] = self.request("POST", "/sim/chats", body)["chat"]
        return chat

    def webhook_info(self, token: str) -> dict[str, Any]:
        """getWebhookInfo for ``token``, as the bot would see it."""
        info: dict[str, Any] = self.request("GET", f"/bot{token}/getWebhookInfo")["result"]
        return info

    def reset(self) -> None:
        """Back to the simulator's start-up state."""
        self.request("POST", "/sim/reset", {})


class User:
    """One scripted user; each method is one thing a person does in Telegram."""

    def __init__(self, sim: SimClient, user: dict[str, Any]) -> None:
        self.sim = sim
        self.id: int = user["id"]
        self.info = user

    def _act(self, action: str, **body: Any) -> Any:
        body = {k: v for k, v in body.items() if v is not None}
        return self.sim.request("POST", f"/sim/users/{self.id}/{action}", body)

    def send(self, text: str, chat_id: int | None = None) -> Message:
        """Send text (or a ``/command``) to the bot's private chat or ``chat_id``."""
        message: Message = self._act("send", text=text, chat_id=chat_id)["message"]
        return message

    def send_document(
        self,
        file_name: str,
        content: str = "",
        *,
        chat_id: int | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        caption: str | None = None,
    ) -> Message:
        """Send a file whose text is ``content``; the bot can download it (getFile).

        ``size`` overrides the ``file_size`` Telegram reports (default: the content's).
        """
        message: Message = self._act(
            "document",
            file_name=file_name,
            content=content,
            chat_id=chat_id,
            mime_type=mime_type,
            size=size,
            caption=caption,
        )["message"]
        return message

    def press(
        self,
        message: Message,
        *,
        data: str | None = None,
        text: str | None = None,
        button: tuple[int, int] | None = None,
    ) -> str:
        """Press a button of ``message`` (by callback data, label or (row, column)).

        Returns the callback query id; the toast arrives in :meth:`toasts`.
        """
        done = self._act("press", **press_body(message, data, text, button))
        query_id: str = done["callback_query_id"]
        return query_id

    def vote(self, message: Message, option_ids: list[int]) -> dict[str, Any]:
        """Vote in the poll of ``message`` (an empty list retracts, where allowed)."""
        done = self._act(
            "vote",
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            option_ids=option_ids,
        )
        poll: dict[str, Any] = done["poll"]
        return poll

    def inline_query(self, query: str) -> str:
        """Type ``@bot query``; returns the inline query id."""
        query_id: str = self._act("inline", query=query)["inline_query_id"]
        return query_id

    def join(self, chat: dict[str, Any]) -> None:
        """Join a group."""
        self._act("join", chat_id=chat["id"])

    def leave(self, chat: dict[str, Any]) -> None:
        """Leave a group."""
        self._act("leave", chat_id=chat["id"])

    def block_bot(self, blocked: bool = True) -> None:
        """Block the bot (``blocked=False`` unblocks it)."""
        self._act("block", blocked=blocked)

    def seen(self) -> dict[str, Any]:
        """Everything the user has seen: chats with messages (and ``edits``), toasts, polls."""
        data: dict[str, Any] = self.sim.request("GET", f"/sim/users/{self.id}/seen")
        return data

    def messages(self, chat_id: int | None = None) -> list[Message]:
        """The messages of one chat (default: the private chat with the bot), oldest first."""
        wanted = self.id if chat_id is None else chat_id
        for chat in self.seen()["chats"]:
            if chat["chat"]["id"] == wanted:
                messages: list[Message] = chat["messages"]
                return messages
        return []

    def bot_messages(self, chat_id: int | None = None) -> list[Message]:
        """The bot's messages in one chat (default: the private chat)."""
        return [m for m in self.messages(chat_id) if m["from"]["is_bot"]]

    def toasts(self) -> list[dict[str, Any]]:
        """The answers to this user's button presses (``text``, ``show_alert``), in order."""
        toasts: list[dict[str, Any]] = self.seen()["toasts"]
        return toasts

    def wait_for(
        self,
        found: Callable[[Message], bool],
        chat_id: int | None = None,
        timeout: float = 10.0,
    ) -> Message:
        """The newest bot message in the chat for which ``found`` holds, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed(self.bot_messages(chat_id)):
                if found(message):
                    return message
            if time.monotonic() > deadline:
                raise TimeoutError(f"user {self.id} saw no such message within {timeout:g} s")
            time.sleep(0.05)
