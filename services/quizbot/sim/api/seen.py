"""What a scripted user has seen: their chats, each message as it is now with
its earlier versions, the toasts and alerts of their presses, and polls as
they see them (a quiz's answer only after voting).
"""

from __future__ import annotations

from typing import Any

from quizbot.sim.api import polls
from quizbot.sim.api.people import Person
from quizbot.sim.api.state import SimState


def seen(state: SimState, person: Person) -> dict[str, Any]:
    """Every chat the user is in, its messages with their earlier versions, toasts, polls."""
    chats = []
    polls_seen = []
    votes = state.people.votes
    for chat_id in state.people.chats_of(person.id):
        chat = state.chats.get(chat_id)
        if chat is None:
            continue
        messages = []
        for message_id, message in chat.messages.items():
            shown = dict(message)
            if message_id in chat.edits:
                shown["edits"] = chat.edits[message_id]
            poll = message.get("poll")
            if poll is not None:
                shown["poll"] = polls.view(poll, votes.get(poll["id"], {}).get(person.id))
                polls_seen.append({"chat_id": chat_id, "message_id": message_id, **shown["poll"]})
            messages.append(shown)
        chats.append({"chat": chat.info, "messages": messages})
    return {
        "user": person.user(),
        "blocked_bot": person.blocked_bot,
        "chats": chats,
        "toasts": person.toasts,
        "polls": polls_seen,
        "member_of": {
            str(chat): roster[person.id]
            for chat, roster in state.people.members.items()
            if person.id in roster
        },
    }
