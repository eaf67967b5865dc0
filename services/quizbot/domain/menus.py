"""The command menus Telegram shows beside the message field (`setMyCommands`).

One menu per scope (private chats, groups) and per language: Telegram shows
a user the menu of their app's language, and the default (English) otherwise.
"""

from __future__ import annotations

from enum import StrEnum

from quizbot.domain.language import N_, Translator

COMMAND_MAX = 32  # BotCommand.command: 1-32 characters, a-z, 0-9 and _
DESCRIPTION_MAX = 256  # BotCommand.description: 1-256 characters


class Scope(StrEnum):
    """A BotCommandScope type (the `type` field of its JSON)."""

    PRIVATE = "all_private_chats"
    GROUPS = "all_group_chats"


_PRIVATE = (
    ("quizzes", N_("Pick a quiz to play")),
    ("play", N_("Play a quiz alone")),
    ("live", N_("Host a live quiz for friends")),
    ("newquiz", N_("Make a quiz of your own")),
    ("myquizzes", N_("Your quizzes: play, share, export, delete")),
    ("stats", N_("How your quiz went: plays, scores, hard questions")),
    ("stop", N_("Stop the quiz")),
    ("me", N_("Your stats")),
    ("top", N_("The best players")),
    ("language", N_("Change my language")),
    ("help", N_("How to play")),
)
_GROUPS = (
    ("live", N_("Start a live quiz in this group")),
    ("stop", N_("Stop the quiz (host or admins)")),
    ("quizzes", N_("The quizzes to play")),
    ("top", N_("The best players of this group")),
    ("language", N_("Change the group's language (admins)")),
    ("help", N_("How to play")),
)


def menu(scope: Scope, tr: Translator) -> list[dict[str, str]]:
    """The `commands` of `setMyCommands` for `scope`, described in `tr`'s language."""
    entries = _PRIVATE if scope is Scope.PRIVATE else _GROUPS
    return [{"command": name, "description": tr.gettext(text)} for name, text in entries]
