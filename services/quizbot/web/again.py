"""🔁 Play again and 📚 Another quiz, the buttons under a game's results.

Each is the command a player would type (``/play <slug>`` or ``/live <slug>``,
``/quizzes``) in the chat where the button was pressed, by the player who
pressed it, so it goes through the same handler: one transaction, claimed by
update id, the reply queued in the outbox.
"""

from __future__ import annotations

from quizbot.domain.language import N_, Translator
from quizbot.domain.session import Mode
from quizbot.store.sessions_web import session_quiz
from quizbot.web.commands import handle_command
from quizbot.web.runtime import Runtime
from quizbot.web.updates import CallbackPress, Command

AGAIN_TOAST = N_("🔁 Here we go again!")
ANOTHER_TOAST = N_("📚 Pick one from the list")
NO_CHAT = N_("Open the chat with the quiz to play it again.")
GONE_TOAST = N_("This quiz is no longer available.")


def press_play_again(rt: Runtime, press: CallbackPress, session_id: int, tr: Translator) -> str:
    """The same quiz again, in the same mode, hosted by the player who pressed (blocking)."""
    if press.chat_id is None or press.chat_type is None:
        return tr.gettext(NO_CHAT)
    with rt.engine.connect() as conn:
        found = session_quiz(conn, session_id)
    if found is None:
        return tr.gettext(GONE_TOAST)
    slug, mode = found
    name = "play" if mode is Mode.SOLO else "live"
    handle_command(rt, _as_command(press, name, slug))
    return tr.gettext(AGAIN_TOAST)


def press_another_quiz(rt: Runtime, press: CallbackPress, tr: Translator) -> str:
    """The /quizzes list, sent to the chat where the button was pressed (blocking)."""
    if press.chat_id is None or press.chat_type is None:
        return tr.gettext(NO_CHAT)
    handle_command(rt, _as_command(press, "quizzes", ""))
    return tr.gettext(ANOTHER_TOAST)


def _as_command(press: CallbackPress, name: str, args: str) -> Command:
    assert press.chat_id is not None and press.chat_type is not None
    return Command(
        update_id=press.update_id,
        name=name,
        args=args,
        user=press.user,
        chat_id=press.chat_id,
        chat_type=press.chat_type,
        chat_title=None,
    )
