"""Who may do what with a quiz: the rule, pure, in one place.

A quiz belongs to the Telegram user who made or uploaded it; a quiz an
operator imported from the shell has no owner and is public. Private quizzes
are seen only by their owner, and played by others only through the quiz's
share link. Editing, deleting and the statistics are the owner's alone, even
for a public quiz; a public quiz's content is no secret, so anyone may
export it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Visibility(StrEnum):
    """Whether a quiz is listed for everyone (`public`) or for its owner only."""

    PRIVATE = "private"
    PUBLIC = "public"


class Action(StrEnum):
    """What someone asks to do with a quiz."""

    FIND = "find"  # see it in /quizzes, open it by slug
    PLAY = "play"
    EXPORT = "export"
    STATS = "stats"
    EDIT = "edit"
    DELETE = "delete"


# What the owner alone may do, whatever the quiz's visibility.
OWNER_ONLY = frozenset({Action.STATS, Action.EDIT, Action.DELETE})


@dataclass(frozen=True, slots=True)
class Ownership:
    """A quiz's owner (a Telegram user id; None when an operator imported it) and visibility."""

    owner_id: int | None
    visibility: Visibility = Visibility.PUBLIC


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a Telegram user, or an operator at the shell (`quizbot quiz ...`).

    `shared` says the request came through the quiz's share link, the one way
    into someone else's private quiz.
    """

    user_id: int | None = None
    operator: bool = False
    shared: bool = False


def may(actor: Actor, action: Action, quiz: Ownership) -> bool:
    """Whether `actor` may do `action` with a quiz of this ownership."""
    if actor.operator:
        return True
    if quiz.owner_id is not None and actor.user_id == quiz.owner_id:
        return True
    if action in OWNER_ONLY:
        return False
    if quiz.visibility is Visibility.PUBLIC:
        return True
    return action is Action.PLAY and actor.shared
