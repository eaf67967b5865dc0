"""What each Bot API method does to the simulated Telegram, and what it returns.

Handlers receive parameters already validated and coerced by the schema.
Methods without a handler of their own get a plausible answer from their
spec'd return type: a stored Message, a MessageId, or ``true``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quizbot.sim.api import polls, protocol
from quizbot.sim.api.content import plain_text
from quizbot.sim.api.files import FilePart
from quizbot.sim.api.people import member
from quizbot.sim.api.state import SimState

Handler = Callable[[SimState, dict[str, Any]], Any]


def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    # Only inline keyboards are attached to a Message; reply keyboards are
    # client-side state and never echoed back.
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _with_markup(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    markup = _inline_markup(params)
    if markup is not None:
        body["reply_markup"] = markup
    return body


def send_message(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """sendMessage: store the parsed text (and inline keyboard) in the chat."""
    text = plain_text(p["text"], p.get("parse_mode"))
    return state.post(p["chat_id"], _with_markup({"text": text}, p))


def send_poll(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """sendPoll: a Message carrying a Poll whose id maps poll_answer to the chat."""
    kind = p.get("type", "regular")
    poll: dict[str, Any] = {
        "id": state.new_poll_id(),
        "question": p["question"],
        "options": [
            {"persistent_id": str(i), "text": o["text"], "voter_count": 0}
            for i, o in enumerate(p["options"])
        ],
        "total_voter_count": 0,
        "is_closed": p.get("is_closed", False),
        "is_anonymous": p.get("is_anonymous", True),
        "type": kind,
        "allows_multiple_answers": p.get("allows_multiple_answers", False),
        "allows_revoting": p.get("allows_revoting", kind != "quiz"),
        "members_only": p.get("members_only", False),
    }
    for key in ("correct_option_ids", "explanation", "open_period", "close_date"):
        if key in p:
            poll[key] = p[key]
    message = state.post(p["chat_id"], _with_markup({"poll": poll}, p))
    state.polls[poll["id"]] = (message["chat"]["id"], message["message_id"])
    due = polls.closes_at(poll, state.wall_clock())
    if due is not None and not poll["is_closed"]:
        state.poll_deadlines[poll["id"]] = due
        # Closing on time needs no vote to notice it: a timer on the server's loop.
        polls.close_when_due(state, poll["id"])
    return message


def send_document(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """sendDocument: keep an uploaded file (or reuse one by file_id) and post it with its caption.

    A URL is not fetched: the simulator reaches no other host, so it is refused.
    """
    upload = p["document"]
    if isinstance(upload, FilePart):
        document = state.files.add(upload.data, upload.filename, upload.content_type)
    elif upload.startswith(("http://", "https://", "attach://")):
        raise protocol.bad_request("wrong file identifier/HTTP URL specified")
    else:
        document = state.files.document(upload)
    body: dict[str, Any] = {"document": document}
    if "caption" in p:
        body["caption"] = plain_text(p["caption"], p.get("parse_mode"))
    return state.post(p["chat_id"], _with_markup(body, p))


def get_file(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """getFile: the File, whose ``file_path`` downloads from ``/file/bot<token>/``."""
    return state.files.get(p["file_id"])


def _target(state: SimState, p: dict[str, Any], missing: str) -> dict[str, Any]:
    if "chat_id" not in p or "message_id" not in p:
        raise protocol.bad_request("message identifier is not specified")
    message = state.message(p["chat_id"], p["message_id"])
    if message is None:
        raise protocol.ApiError(400, missing)
    return message


def _edit(state: SimState, old: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    # Telegram refuses an edit that changes nothing, with this exact text.
    if all(old.get(k) == v for k, v in changes.items()):
        raise protocol.ApiError(400, protocol.NOT_MODIFIED)
    return state.replace(old["chat"]["id"], old["message_id"], changes)


def edit_message_text(state: SimState, p: dict[str, Any]) -> Any:
    """editMessageText: an edit without reply_markup removes the keyboard, as in Telegram."""
    if "inline_message_id" in p:
        return True
    old = _target(state, p, protocol.EDIT_NOT_FOUND)
    if "text" not in old:
        raise protocol.bad_request("there is no text in the message to edit")
    text = plain_text(p.get("text", ""), p.get("parse_mode"))
    return _edit(state, old, {"text": text, "reply_markup": _inline_markup(p)})


def edit_message_caption(state: SimState, p: dict[str, Any]) -> Any:
    """editMessageCaption: replace the caption (and keyboard) of a media message."""
    if "inline_message_id" in p:
        return True
    old = _target(state, p, protocol.EDIT_NOT_FOUND)
    caption = plain_text(p["caption"], p.get("parse_mode")) if "caption" in p else None
    return _edit(state, old, {"caption": caption, "reply_markup": _inline_markup(p)})


def edit_message_reply_markup(state: SimState, p: dict[str, Any]) -> Any:
    """editMessageReplyMarkup: replace or (without reply_markup) remove the keyboard."""
    if "inline_message_id" in p:
        return True
    old = _target(state, p, protocol.EDIT_NOT_FOUND)
    return _edit(state, old, {"reply_markup": _inline_markup(p)})


def stop_poll(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """stopPoll: close the poll of a stored message and return the Poll."""
    old = _target(state, p, protocol.POLL_NOT_FOUND)
    poll = old.get("poll")
    if poll is None:
        raise protocol.ApiError(400, protocol.POLL_NOT_FOUND)
    if poll["is_closed"]:
        raise protocol.ApiError(400, protocol.POLL_ALREADY_CLOSED)
    closed = {**poll, "is_closed": True}
    changes: dict[str, Any] = {"poll": closed}
    if "reply_markup" in p:
        changes["reply_markup"] = _inline_markup(p)
    state.replace(old["chat"]["id"], old["message_id"], changes)
    state.inbox.add({"poll": closed})
    return closed


def delete_message(state: SimState, p: dict[str, Any]) -> bool:
    """deleteMessage: remove a stored message."""
    old = _target(state, p, protocol.DELETE_NOT_FOUND)
    state.delete(old["chat"]["id"], old["message_id"])
    return True


def answer_callback_query(state: SimState, p: dict[str, Any]) -> bool:
    """answerCallbackQuery: the toast or alert reaches the user who pressed."""
    state.people.answer(
        p["callback_query_id"], p.get("text", ""), p.get("show_alert", False), p.get("url")
    )
    return True


def _roster(state: SimState, chat_id: Any) -> dict[int, str]:
    roster = state.people.members.get(chat_id) if isinstance(chat_id, int) else None
    if roster is None:
        raise protocol.ApiError(400, protocol.CHAT_NOT_FOUND)
    return roster


def get_chat_member(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """getChatMember: a scripted group's member (or "left"), with its status."""
    roster = _roster(state, p["chat_id"])
    person = state.people.users.get(p["user_id"])
    if person is None:
        raise protocol.bad_request("user not found")
    return member(person.user(), roster.get(person.id, "left"))


def get_chat_administrators(state: SimState, p: dict[str, Any]) -> list[dict[str, Any]]:
    """getChatAdministrators: the creator and administrators of a scripted group.

    A group the bot only posted to (no roster) has none: an empty list.
    """
    roster = state.people.members.get(p["chat_id"], {})
    users = state.people.users
    return [
        member(users[u].user(), status)
        for u, status in roster.items()
        if status in ("creator", "administrator") and u in users
    ]


def get_chat_member_count(state: SimState, p: dict[str, Any]) -> int:
    """getChatMemberCount: the members of a scripted group, the bot included."""
    return len(_roster(state, p["chat_id"])) + 1


def get_me(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """getMe: the simulated bot's User."""
    return state.bot


def set_webhook(state: SimState, p: dict[str, Any]) -> bool:
    """setWebhook: remember the URL and its options (an empty URL removes it)."""
    connections = p.get("max_connections", 40)
    if not 1 <= connections <= 100:
        raise protocol.bad_request("bad webhook: max_connections must be between 1 and 100")
    state.webhook = {k: v for k, v in p.items() if k != "certificate"}
    state.webhook["max_connections"] = connections
    state.inbox.allow(p.get("allowed_updates"))
    if p.get("drop_pending_updates"):
        state.inbox.clear()
    return True


def delete_webhook(state: SimState, p: dict[str, Any]) -> bool:
    """deleteWebhook: forget the webhook (and, if asked, the pending updates)."""
    state.webhook = {"url": ""}
    if p.get("drop_pending_updates"):
        state.inbox.clear()
    return True


def get_webhook_info(state: SimState, p: dict[str, Any]) -> dict[str, Any]:
    """getWebhookInfo: the webhook, the updates waiting for it and its last error."""
    info: dict[str, Any] = {
        "url": state.webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(state.inbox),
    }
    if info["url"]:
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in state.webhook:
                info[key] = state.webhook[key]
    if state.webhook_error is not None:
        info["last_error_date"], info["last_error_message"] = state.webhook_error
    return info


def get_updates(state: SimState, p: dict[str, Any]) -> list[Any]:
    """getUpdates without waiting: confirm below ``offset``, return what is pending.

    Refused while a webhook is set, like Telegram. The engine long-polls
    (``timeout``) by calling this again when updates arrive.
    """
    if state.webhook.get("url"):
        raise protocol.ApiError(409, protocol.WEBHOOK_ACTIVE)
    limit = p.get("limit", 100)
    if not 1 <= limit <= 100:
        limit = 100
    if "offset" in p:
        state.inbox.confirm(p["offset"])
    state.inbox.allow(p.get("allowed_updates"))
    return state.inbox.peek(limit)


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPoll": send_poll,
    "sendDocument": send_document,
    "getFile": get_file,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "stopPoll": stop_poll,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "getChatMemberCount": get_chat_member_count,
    "getMe": get_me,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getUpdates": get_updates,
}


def generic(returns: tuple[str, ...]) -> Handler:
    """A handler for a method without its own, shaped by its spec'd return type."""

    def handle(state: SimState, p: dict[str, Any]) -> Any:
        if "Message" in returns and "chat_id" in p:
            body = {k: p[k] for k in ("caption",) if k in p}
            return state.post(p["chat_id"], _with_markup(body, p))
        if returns == ("MessageId",) and "chat_id" in p:
            return {"message_id": state.post(p["chat_id"], _with_markup({}, p))["message_id"]}
        if returns and returns[0].startswith("Array of"):
            return []
        return True

    return handle
