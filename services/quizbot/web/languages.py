"""/language and its buttons: a player picks their language, a group's admins the group's.

In a private chat the choice is the player's own (``players.language``); in a
group it is the group's (``chats.language``), and only the group's admins (the
cached ``getChatAdministrators`` list, ``store.admins``) or the host of the game
running there may make it. No Bot API call is made on this path: a group whose
admin list is not cached yet gets it fetched, and the member is asked to retry.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from quizbot.domain.callbacks import LanguageData
from quizbot.domain.language import LANGUAGES, N_, Translator
from quizbot.locales import translator
from quizbot.store import admins
from quizbot.store.languages import hosts_game, set_chat_language, set_player_language
from quizbot.store.updates import PlayerInfo, upsert_players
from quizbot.web.runtime import Runtime
from quizbot.web.updates import GROUP_TYPES, CallbackPress, Command

PICK_PRIVATE = N_("🌐 Which language should I speak with you?")
PICK_GROUP = N_("🌐 Which language should I speak in this group?")
NOT_ALLOWED = N_("Only the group's admins or the host of its game can change its language.")
CHECKING = N_("⏳ Checking the group's admins… Send /language again in a moment.")
CHOSEN_PRIVATE = N_("✅ I will speak English with you now.")
CHOSEN_GROUP = N_("✅ I will speak English in this group now.")


def keyboard() -> dict[str, object]:
    """One button per language, each in its own name."""
    return {
        "inline_keyboard": [
            [{"text": name, "callback_data": LanguageData(code).encode()}]
            for code, name in LANGUAGES.items()
        ]
    }


def _allowed(conn: Connection, chat_id: int, player_id: int) -> bool | None:
    """May ``player_id`` set the group's language? ``None``: its admin list is being fetched."""
    if hosts_game(conn, chat_id, player_id):
        return True
    known = admins.cached_admins(conn, chat_id, max_age_s=None)
    if known is None:
        admins.request_fetch(conn, chat_id)
        return None
    return player_id in known


def language_command(
    rt: Runtime, conn: Connection, cmd: Command, tr: Translator
) -> tuple[str, dict[str, object] | None]:
    """The reply to /language: the choice of languages, or why this member may not choose."""
    if cmd.chat_type not in GROUP_TYPES:
        return tr.gettext(PICK_PRIVATE), keyboard()
    allowed = _allowed(conn, cmd.chat_id, cmd.user.id)
    if allowed is None:
        return tr.gettext(CHECKING), None
    if not allowed:
        return tr.gettext(NOT_ALLOWED), None
    return tr.gettext(PICK_GROUP), keyboard()


def press_language(
    rt: Runtime, press: CallbackPress, data: LanguageData, player: PlayerInfo, tr: Translator
) -> str:
    """Apply a language button; the toast confirms in the language just chosen (blocking).

    ``tr`` (the player's current language) words a refusal.
    """
    if data.language not in LANGUAGES or press.chat_id is None:
        return ""
    chosen = translator(data.language)
    with rt.engine.begin() as conn:
        if press.chat_type in GROUP_TYPES:
            allowed = _allowed(conn, press.chat_id, player.id)
            if not allowed:
                return tr.gettext(CHECKING if allowed is None else NOT_ALLOWED)
            set_chat_language(conn, press.chat_id, data.language)
            return chosen.gettext(CHOSEN_GROUP)
        upsert_players(conn, [player])
        set_player_language(conn, player.id, data.language)
        return chosen.gettext(CHOSEN_PRIVATE)
