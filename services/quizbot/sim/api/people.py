"""The users of the simulated Telegram: who exists, who is in which chat,
and what came back to each of them (toasts and alerts, their votes).

Scripted users live here, on the fake API's side, because Telegram is what
knows them: a bot only ever learns about a user from an update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The rights of a ChatMemberAdministrator: all required, all granted here.
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ``ChatMember`` of ``status`` with the fields its subtype requires."""
    out: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update({"can_be_edited": False, "is_anonymous": False})
        out.update(dict.fromkeys(ADMIN_RIGHTS, True))
    elif status == "kicked":
        out["until_date"] = 0
    return out


@dataclass(slots=True)
class Person:
    """One scripted user."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str = "en"
    blocked_bot: bool = False
    toasts: list[dict[str, Any]] = field(default_factory=list)

    def user(self) -> dict[str, Any]:
        """The Telegram ``User`` object."""
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        out["language_code"] = self.language_code
        return out

    def private_chat(self) -> dict[str, Any]:
        """The ``Chat`` of this user's private chat with the bot (its id is the user's)."""
        out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        return out


@dataclass(slots=True)
class Query:
    """A callback query a user caused, waiting for the bot's answerCallbackQuery."""

    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


class People:
    """Every scripted user, chat membership, open callback query and poll vote."""

    def __init__(self) -> None:
        self.users: dict[int, Person] = {}
        self.members: dict[int, dict[int, str]] = {}  # chat id -> user id -> status
        self.queries: dict[str, Query] = {}
        self.votes: dict[str, dict[int, list[int]]] = {}  # poll id -> user id -> options
        self._query_seq = 0

    def reset(self) -> None:
        """Forget everyone."""
        self.users.clear()
        self.members.clear()
        self.queries.clear()
        self.votes.clear()

    def new_query_id(self) -> str:
        """A fresh callback query id (a long decimal string, like Telegram's)."""
        self._query_seq += 1
        return str(6_000_000_000_000_000_000 + self._query_seq)

    def blocked(self, chat_id: int | str) -> bool:
        """Whether ``chat_id`` is the private chat of a user who blocked the bot."""
        person = self.users.get(chat_id) if isinstance(chat_id, int) else None
        return person is not None and person.blocked_bot

    def chats_of(self, user_id: int) -> list[int]:
        """The chats ``user_id`` can read: their private chat and the groups they are in."""
        groups = [chat for chat, members in self.members.items() if user_id in members]
        return [user_id, *groups]

    def answer(self, query_id: str, text: str, show_alert: bool, url: str | None) -> None:
        """Show the bot's answerCallbackQuery to the user who pressed (unknown ids are ignored)."""
        query = self.queries.get(query_id)
        if query is None or query.answered:
            return
        query.answered = True
        person = self.users.get(query.user_id)
        if person is not None:
            toast: dict[str, Any] = {
                "callback_query_id": query_id,
                "chat_id": query.chat_id,
                "message_id": query.message_id,
                "data": query.data,
                "text": text,
                "show_alert": show_alert,
            }
            if url:
                toast["url"] = url
            person.toasts.append(toast)
