"""The lobby's buttons (Join, the host's Start and close-early option) and the join link.

Each runs in one transaction on the worker's thread pool: the session row is
locked, the domain rules decide, and the participant, the request and the
messages they cause commit together. The answer to a button press is the toast
returned here, sent back in the webhook response after that commit.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from quizbot.domain import game
from quizbot.domain.events import Join, SetCloseEarly, Start
from quizbot.domain.language import N_, Translator
from quizbot.domain.render import close_early_toast, join_toast
from quizbot.domain.session import Mode
from quizbot.locales import translator
from quizbot.store import outbox
from quizbot.store.languages import chat_language
from quizbot.store.sessions_web import (
    add_participant,
    file_request,
    lock_session,
    set_close_early,
)
from quizbot.store.updates import PlayerInfo, mark_processed, unblock_chats, upsert_players
from quizbot.web.runtime import Runtime

GONE_TOAST = N_("This quiz is over")
STARTING_TOAST = N_("▶️ Starting…")


def join(
    rt: Runtime,
    conn: Connection,
    update_id: int | None,
    session_id: int,
    player: PlayerInfo,
    private_chat_id: int,
    tr: Translator,
) -> tuple[str, bool]:
    """Add ``player`` to a live session: (toast telling them how it went, messages queued).

    In a group quiz the player plays in the group; in a private-chat quiz the
    questions come to their own chat with the bot, ``private_chat_id``. Pass
    ``update_id=None`` when the caller has already claimed the update. ``tr`` is
    the player's language: their toast, and the messages to their own chat.
    """
    locked = lock_session(conn, session_id)
    if locked is None:
        return tr.gettext(GONE_TOAST), False
    state = locked.state
    chat_id = state.chat_id if state.mode is Mode.GROUP else private_chat_id
    quiz = rt.quizzes.get(conn, locked.quiz_id)
    transition = game.step(state, Join(player.id, chat_id), locked.now, rt.rules, quiz, tr)
    if not transition.accepted:
        return transition.reason or tr.gettext(GONE_TOAST), False
    if update_id is not None and not mark_processed(conn, update_id):
        return join_toast(state.quiz_title, tr), False  # a retry: the first delivery did the work
    upsert_players(conn, [player])
    queued = False
    if add_participant(conn, session_id, player.id, chat_id):
        queued = outbox.enqueue_effects(conn, session_id, transition.effects) > 0
        if queued:
            outbox.notify(conn)
    return join_toast(state.quiz_title, tr), queued


def press_join(
    rt: Runtime,
    update_id: int,
    session_id: int,
    player: PlayerInfo,
    tr: Translator,
    in_private_chat: bool = False,
) -> str:
    """The lobby's Join button; pressed in a private chat, it clears that chat's block mark."""
    with rt.engine.begin() as conn:
        if in_private_chat:
            unblock_chats(conn, [player.id])
        # A private chat's id is its user's id: that is where a player's questions go.
        toast, _ = join(rt, conn, update_id, session_id, player, player.id, tr)
        return toast


def press_start(
    rt: Runtime,
    update_id: int,
    session_id: int,
    player: PlayerInfo,
    tr: Translator,
    in_private_chat: bool = False,
) -> str:
    """The lobby's Start button: checked by the rules here, applied by the writer.

    Pressed in a private chat, it clears that chat's block mark.
    """
    with rt.engine.begin() as conn:
        if in_private_chat:
            unblock_chats(conn, [player.id])
        locked = lock_session(conn, session_id)
        if locked is None:
            return tr.gettext(GONE_TOAST)
        quiz = rt.quizzes.get(conn, locked.quiz_id)
        check = game.step(locked.state, Start(player.id), locked.now, rt.rules, quiz, tr)
        if not check.accepted:
            return check.reason or tr.gettext(GONE_TOAST)
        if not mark_processed(conn, update_id):
            return tr.gettext(STARTING_TOAST)  # a retry: the request is already filed
        file_request(conn, session_id, "start", player.id)
        return tr.gettext(STARTING_TOAST)


def press_close_early(
    rt: Runtime, update_id: int, session_id: int, player: PlayerInfo, on: bool
) -> str:
    """The host's close-early option in a group lobby; the lobby message is edited to show it.

    The lobby and the toast speak the group's language.
    """
    with rt.engine.begin() as conn:
        locked = lock_session(conn, session_id)
        if locked is None:
            return GONE_TOAST
        tr = translator(chat_language(conn, locked.state.chat_id))
        quiz = rt.quizzes.get(conn, locked.quiz_id)
        transition = game.step(
            locked.state, SetCloseEarly(player.id, on), locked.now, rt.rules, quiz, tr
        )
        if not transition.accepted:
            return transition.reason or tr.gettext(GONE_TOAST)
        if mark_processed(conn, update_id):
            set_close_early(conn, session_id, on)
            if outbox.enqueue_effects(conn, session_id, transition.effects):
                outbox.notify(conn)
        return close_early_toast(on, tr)
