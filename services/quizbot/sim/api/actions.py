"""What a scripted user does, and the update each action puts in the bot's inbox.

Every function takes the control request's JSON body through :class:`Body`,
which names the field at fault (the HTTP layer answers 400 with it), acts
on the simulated Telegram, and returns JSON-ready data: the update the bot
will receive, and whatever the caller needs next (a callback query id...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quizbot.sim.api import polls
from quizbot.sim.api.body import Body, ControlError
from quizbot.sim.api.people import Person, Query, member
from quizbot.sim.api.state import SimState, chat_info
from quizbot.sim.api.updates import callback_query, text_body

# -- users and chats -----------------------------------------------------------


def create_user(state: SimState, body: Body) -> dict[str, Any]:
    """A new user (``first_name``; optional ``id``, ``username``, ``last_name``)."""
    people = state.people
    user_id = body.get("id", int) or 100_000 + len(people.users) + 1
    if user_id <= 0:
        raise ControlError("id", "must be positive")
    if user_id in people.users:
        raise ControlError("id", f"user {user_id} exists")
    person = Person(
        user_id,
        body.need("first_name", str),
        body.get("username", str),
        body.get("last_name", str),
        body.get("language_code", str, "en"),
    )
    people.users[user_id] = person
    state.chats.pop(user_id, None)
    state.chat(user_id).info = person.private_chat()
    return person.user()


def create_chat(state: SimState, body: Body) -> dict[str, Any]:
    """A group or supergroup with ``members`` and ``admins`` (user ids); the bot is in it."""
    kind = body.get("type", str, "supergroup")
    if kind not in ("group", "supergroup"):
        raise ControlError("type", "must be group or supergroup")
    default_id = -(1_000_000_000_000 if kind == "supergroup" else 0) - 5_000 - len(state.chats)
    chat_id = body.get("id", int, default_id)
    if chat_id >= 0 or (kind == "supergroup") != (chat_id < -(10**12)):
        raise ControlError(
            "id",
            "a supergroup id is below -10**12 (-100…), a basic group id negative above it",
        )
    if chat_id in state.chats:
        raise ControlError("id", f"chat {chat_id} exists")
    admins, members = body.ids("admins"), body.ids("members")
    for field, ids in (("admins", admins), ("members", members)):
        for user_id in ids:
            if user_id not in state.people.users:
                raise ControlError(field, f"no user {user_id}")
    info = {**chat_info(chat_id), "title": body.get("title", str, f"Group {-chat_id}")}
    state.chat(chat_id).info = info
    roster = {u: "member" for u in members}
    roster.update({u: "administrator" for u in admins})
    if admins:
        roster[admins[0]] = "creator"
    state.people.members[chat_id] = roster
    return {"chat": info, "members": {str(u): status for u, status in roster.items()}}


# -- what a user does ------------------------------------------------------------


def send_text(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user sends ``text`` (a ``/command`` too) in ``chat_id`` (default: the private chat)."""
    text = body.need("text", str)
    if not 1 <= len(text) <= 4096:
        raise ControlError("text", "must be 1-4096 characters")
    return _say(state, person, body, text_body(text))


def send_document(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user sends a file: ``file_name``; optional ``content`` (its text), ``mime_type``,
    ``size`` (what Telegram reports, by default the content's length), ``caption``.

    The content is kept in the simulator's files, so the bot can fetch it with
    getFile and ``/file/bot<token>/<file_path>`` as from Telegram.
    """
    name = body.need("file_name", str)
    data = body.get("content", str, "").encode()
    document = state.files.add(data, name, body.get("mime_type", str, "application/octet-stream"))
    size = body.get("size", int)
    if size is not None:
        document["file_size"] = size
    content: dict[str, Any] = {"document": document}
    caption = body.get("caption", str)
    if caption:
        content["caption"] = caption
    return _say(state, person, body, content)


def _say(state: SimState, person: Person, body: Body, content: dict[str, Any]) -> dict[str, Any]:
    chat_id = _chat_of(state, person, body)
    message = state.post(chat_id, content, sender=person.user())
    return {"update": state.inbox.add({"message": message}), "message": message}


def press(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user presses an inline button of a message they see.

    The button is named by its ``data`` (callback_data), its ``text``, or
    ``button``: [row, column]. The bot gets a ``callback_query``.
    """
    chat_id = _chat_of(state, person, body)
    message_id = body.need("message_id", int)
    message = state.message(chat_id, message_id)
    if message is None:
        raise ControlError("message_id", f"no message {message_id} in chat {chat_id}")
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    buttons = [(r, c, b) for r, row in enumerate(rows) for c, b in enumerate(row)]
    chosen = _button(body, buttons)
    data = chosen.get("callback_data")
    if data is None:
        raise ControlError("button", "that button sends no callback_data")
    query_id = state.people.new_query_id()
    state.people.queries[query_id] = Query(person.id, chat_id, message_id, data)
    query = callback_query(query_id, person.user(), message, data)
    return {"update": state.inbox.add({"callback_query": query}), "callback_query_id": query_id}


def _button(body: Body, buttons: list[tuple[int, int, dict[str, Any]]]) -> dict[str, Any]:
    if not buttons:
        raise ControlError("message_id", "the message has no inline keyboard")
    tests: list[tuple[str, Callable[[int, int, dict[str, Any]], bool]]] = []
    if "data" in body.data:
        data = body.need("data", str)
        tests.append(("data", lambda r, c, b: b.get("callback_data") == data))
    if "text" in body.data:
        text = body.need("text", str)
        tests.append(("text", lambda r, c, b: b.get("text") == text))
    if "button" in body.data:
        where = body.ids("button")
        if len(where) != 2:
            raise ControlError("button", "must be [row, column]")
        tests.append(("button", lambda r, c, b: [r, c] == where))
    if len(tests) != 1:
        raise ControlError("button", "give exactly one of data, text or button")
    field, test = tests[0]
    for r, c, b in buttons:
        if test(r, c, b):
            return b
    raise ControlError(field, "no such button on that message")


def vote(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user votes in a poll (``poll_id``, or ``chat_id`` + ``message_id``): ``option_ids``."""
    poll_id = body.get("poll_id", str)
    if poll_id is None:
        chat_id = _chat_of(state, person, body)
        message = state.message(chat_id, body.need("message_id", int))
        if message is None or "poll" not in message:
            raise ControlError("message_id", "no poll in that message")
        poll_id = message["poll"]["id"]
    where = state.polls.get(poll_id)
    if where is None or where[0] not in state.people.chats_of(person.id):
        raise ControlError("poll_id", "no such poll in the user's chats")
    try:
        poll, update = polls.vote(state, person, poll_id, body.ids("option_ids"))
    except polls.VoteRefused as exc:
        field, _, problem = str(exc).partition(": ")
        raise ControlError(field, problem) from None
    # A non-anonymous poll's vote reaches the bot as a poll_answer update.
    return {"poll": poll, "update": update} if update is not None else {"poll": poll}


def inline_query(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user types ``@bot query`` in a chat: the bot gets an ``inline_query``."""
    query = {
        "id": state.people.new_query_id(),
        "from": person.user(),
        "query": body.need("query", str),
        "offset": body.get("offset", str, ""),
        "chat_type": body.get("chat_type", str, "sender"),
    }
    return {"update": state.inbox.add({"inline_query": query}), "inline_query_id": query["id"]}


def join(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user joins the group ``chat_id``: a service message and a ``chat_member`` update."""
    chat_id = _group(state, body)
    roster = state.people.members[chat_id]
    if person.id in roster:
        raise ControlError("chat_id", "the user is already a member")
    roster[person.id] = "member"
    message = state.post(chat_id, {"new_chat_members": [person.user()]}, sender=person.user())
    state.inbox.add({"message": message})
    return {"update": _member_update(state, person, chat_id, "left", "member")}


def leave(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user leaves the group ``chat_id``."""
    chat_id = _group(state, body)
    status = state.people.members[chat_id].pop(person.id, None)
    if status is None:
        raise ControlError("chat_id", "the user is not a member")
    message = state.post(chat_id, {"left_chat_member": person.user()}, sender=person.user())
    state.inbox.add({"message": message})
    return {"update": _member_update(state, person, chat_id, status, "left")}


def block(state: SimState, person: Person, body: Body) -> dict[str, Any]:
    """The user blocks the bot (``blocked``: false unblocks): later sends to them get 403."""
    blocked = body.get("blocked", bool, True)
    if blocked == person.blocked_bot:
        raise ControlError(
            "blocked", f"the user has {'already' if blocked else 'not'} blocked the bot"
        )
    person.blocked_bot = blocked
    old, new = ("member", "kicked") if blocked else ("kicked", "member")
    change = _change(state, state.chats[person.id].info, person, state.bot, old, new)
    return {"update": state.inbox.add({"my_chat_member": change})}


def _member_update(
    state: SimState, person: Person, chat_id: int, old: str, new: str
) -> dict[str, Any]:
    change = _change(state, state.chats[chat_id].info, person, person.user(), old, new)
    return state.inbox.add({"chat_member": change})


def _change(
    state: SimState,
    chat: dict[str, Any],
    person: Person,
    user: dict[str, Any],
    old: str,
    new: str,
) -> dict[str, Any]:
    return {
        "chat": chat,
        "from": person.user(),
        "date": int(state.wall_clock()),
        "old_chat_member": member(user, old),
        "new_chat_member": member(user, new),
    }


def _chat_of(state: SimState, person: Person, body: Body) -> int:
    chat_id: int = body.get("chat_id", int, person.id)
    if chat_id not in state.people.chats_of(person.id):
        raise ControlError("chat_id", f"user {person.id} is not in chat {chat_id}")
    return chat_id


def _group(state: SimState, body: Body) -> int:
    chat_id: int = body.need("chat_id", int)
    if chat_id not in state.people.members:
        raise ControlError("chat_id", f"no group {chat_id} (create it with POST /sim/chats)")
    return chat_id
