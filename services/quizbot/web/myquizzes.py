"""/myquizzes and its buttons: a user's own quizzes, each to play, share, export, delete,
edit (``web.wizard.start_edit``) or see how it went (the /stats page, ``web.stats``).

Every press is checked against the ownership rule (``domain.ownership.may``)
on the quiz it names, whatever button sent it: callback data comes from a
client, so a forged ``m:D:<id>`` on someone else's quiz deletes nothing. A
refused press and a missing quiz get the same toast. Each press claims its
update id first, so a Telegram retry sends no second card or file.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from quizbot.domain import myquizzes
from quizbot.domain.callbacks import MyQuizData
from quizbot.domain.language import Translator
from quizbot.domain.ownership import Action, Actor, Visibility
from quizbot.store.documents import enqueue_document
from quizbot.store.outbox import notify, reply
from quizbot.store.owned import FoundQuiz, delete_quiz, owned_quizzes, quiz_by_id, share_token
from quizbot.store.quizfiles import export_quiz
from quizbot.store.quizzes import load_quiz
from quizbot.store.updates import mark_processed
from quizbot.web.runtime import Runtime
from quizbot.web.stats import send_stats
from quizbot.web.updates import CallbackPress, Command
from quizbot.web.wizard import start_edit

# What each button asks to do with the quiz, for the ownership rule.
ACTIONS = {
    "o": Action.EDIT,  # the card: the owner's menu
    "d": Action.DELETE,
    "D": Action.DELETE,
    "y": Action.EXPORT,
    "t": Action.EXPORT,
    "s": Action.STATS,
    "e": Action.EDIT,
}
FORMATS = {"y": "yaml", "t": "txt"}


def my_quizzes(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> str | None:
    """The /myquizzes reply, queued with its buttons; None when queued here."""
    if cmd.chat_type != "private":
        return tr.gettext(myquizzes.PRIVATE_ONLY)
    owned = [_owned(found) for found in owned_quizzes(conn, cmd.user.id)]
    text, keyboard = myquizzes.quiz_list(owned, tr)
    reply(conn, cmd.chat_id, text, keyboard)
    return None


def press_my_quiz(rt: Runtime, press: CallbackPress, data: MyQuizData, tr: Translator) -> str:
    """Apply one /myquizzes button; returns the toast (blocking)."""
    actor = Actor(user_id=press.user.id)
    chat_id = press.chat_id if press.chat_id is not None else press.user.id
    with rt.engine.begin() as conn:
        if not mark_processed(conn, press.update_id):
            return ""
        found = quiz_by_id(conn, data.quiz_id, actor, ACTIONS[data.action])
        if found is None:
            return tr.gettext(myquizzes.NOT_YOURS)
        quiz = _owned(found)
        match data.action:
            case "o":
                link = myquizzes.share_link(rt.bot_username, share_token(conn, quiz.id))
                reply(conn, chat_id, *myquizzes.quiz_card(quiz, link, rt.bot_username, tr))
            case "d":
                reply(conn, chat_id, *myquizzes.confirm_delete(quiz, tr))
            case "D":
                delete_quiz(conn, quiz.id)
                return tr.gettext(myquizzes.DELETED).format(title=quiz.title)
            case "s":
                send_stats(rt, conn, chat_id, quiz.id, tr)
            case "e":
                start_edit(rt, conn, press.user, chat_id, found, tr)
            case _:
                fmt = FORMATS[data.action]
                content = export_quiz(load_quiz(conn, quiz.id), fmt).encode()
                enqueue_document(conn, chat_id, f"{quiz.slug}.{fmt}", content, caption=quiz.title)
                notify(conn)
                return tr.gettext(myquizzes.EXPORTED)
    return ""


def _owned(found: FoundQuiz) -> myquizzes.OwnedQuiz:
    public = found.ownership.visibility is Visibility.PUBLIC
    return myquizzes.OwnedQuiz(found.id, found.slug, found.title, found.question_count, public)
