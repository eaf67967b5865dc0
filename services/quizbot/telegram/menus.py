"""`setMyCommands` for every scope and language, through the Bot API client.

Called by `quizbot set-webhook` and `quizbot run`. The menus are the domain's
(`domain.menus`); the default menu (no `language_code`) is English.
"""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from quizbot.domain.language import DEFAULT, LANGUAGES
from quizbot.domain.menus import Scope, menu
from quizbot.locales import translator

_SCOPES = {
    Scope.PRIVATE: BotCommandScopeAllPrivateChats,
    Scope.GROUPS: BotCommandScopeAllGroupChats,
}


async def set_menus(bot: Any) -> int:
    """Set the command menu of each scope in each language; returns how many were set."""
    count = 0
    for scope, scope_type in _SCOPES.items():
        for language in (None, *LANGUAGES):
            commands = [
                BotCommand(entry["command"], entry["description"])
                for entry in menu(scope, translator(language or DEFAULT))
            ]
            await bot.set_my_commands(commands, scope=scope_type(), language_code=language)
            count += 1
    return count
