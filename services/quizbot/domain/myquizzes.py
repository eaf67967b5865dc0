"""What /myquizzes shows: a user's quizzes, one quiz's card, the delete question.

The card carries everything an owner does with a quiz: play it alone, start
it in a group (the ``startgroup`` link), share it (the share link, the one
way others play a private quiz), export it as a file, edit it, see how it
went, delete it. Pure: the
caller passes the rows, the share link and the translator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from quizbot.domain import limits
from quizbot.domain.callbacks import MyQuizData
from quizbot.domain.formatting import clip, escape
from quizbot.domain.language import ENGLISH, N_, Translator, count
from quizbot.domain.replies import deep_link, group_link
from quizbot.domain.sharing import play_payload

Keyboard = dict[str, object]
BUTTON_TITLE_MAX = 48

NONE_YET = N_(
    "You have no quizzes yet. Send me a quiz file (.txt, .yaml or .json), or /newquiz to "
    "make one here."
)
HEADING = N_("<b>Your quizzes</b> — press one to play, share, export or delete it.")
PRIVATE_ONLY = N_("Your quizzes are listed in our private chat: send me /myquizzes there.")
NOT_YOURS = N_("That quiz is not yours, or it was deleted.")
CONFIRM_DELETE = N_(
    "Delete <b>{title}</b>? Nobody can play it afterwards, and its share link stops working. "
    "Games already played keep their results."
)
DELETED = N_("🗑 {title} is deleted.")
EXPORTED = N_("⬇️ Sending the file…")


@dataclass(frozen=True, slots=True)
class OwnedQuiz:
    """A quiz as its owner's menu shows it."""

    id: int
    slug: str
    title: str
    question_count: int
    public: bool


def share_link(bot_username: str, token: str) -> str:
    """`https://t.me/<bot>?start=q-<token>`: anyone who opens it can play the quiz."""
    return deep_link(bot_username, limits.SHARE_PAYLOAD_PREFIX + token)


def quiz_list(
    quizzes: Sequence[OwnedQuiz], tr: Translator = ENGLISH
) -> tuple[str, Keyboard | None]:
    """The /myquizzes reply: a heading and a button per quiz (at most the quota's 50 or so)."""
    if not quizzes:
        return tr.gettext(NONE_YET), None
    rows = [
        [{"text": f"⚙️ {clip(q.title, BUTTON_TITLE_MAX)}", "callback_data": _data("o", q)}]
        for q in quizzes
    ]
    return tr.gettext(HEADING), {"inline_keyboard": rows}


def quiz_card(
    quiz: OwnedQuiz, link: str, bot_username: str, tr: Translator = ENGLISH
) -> tuple[str, Keyboard]:
    """One quiz with what its owner can do with it."""
    questions = count(tr, "{count} question", "{count} questions", quiz.question_count)
    seen = tr.gettext("public") if quiz.public else tr.gettext("private: only through its link")
    text = "\n".join(
        [
            f"<b>{escape(quiz.title)}</b> (<code>{escape(quiz.slug)}</code>)",
            f"{questions} · {seen}",
            "",
            tr.gettext("Share link: {link}").format(link=escape(link)),
            tr.gettext("Statistics: <code>/stats {slug}</code>").format(slug=escape(quiz.slug)),
            tr.gettext(
                "Edit it here (✏️), or export it, change the file and send it back with "
                "the caption <code>edit {slug}</code>."
            ).format(slug=escape(quiz.slug)),
        ]
    )
    payload = play_payload(quiz.slug)
    share = "https://t.me/share/url?url=" + quote(link, safe="")
    keyboard: Keyboard = {
        "inline_keyboard": [
            [
                {"text": tr.gettext("▶️ Play"), "url": deep_link(bot_username, payload)},
                {
                    "text": tr.gettext("👥 Play in a group"),
                    "url": group_link(bot_username, payload),
                },
            ],
            [{"text": tr.gettext("📨 Share"), "url": share}],
            [
                {"text": tr.gettext("⬇️ .yaml"), "callback_data": _data("y", quiz)},
                {"text": tr.gettext("⬇️ .txt"), "callback_data": _data("t", quiz)},
            ],
            [{"text": tr.gettext("✏️ Edit"), "callback_data": _data("e", quiz)}],
            [{"text": tr.gettext("📊 Statistics and results"), "callback_data": _data("s", quiz)}],
            [{"text": tr.gettext("🗑 Delete"), "callback_data": _data("d", quiz)}],
        ]
    }
    return text, keyboard


def confirm_delete(quiz: OwnedQuiz, tr: Translator = ENGLISH) -> tuple[str, Keyboard]:
    """The question before a delete, with the one button that does it."""
    text = tr.gettext(CONFIRM_DELETE).format(title=escape(quiz.title))
    button = {"text": tr.gettext("🗑 Yes, delete it"), "callback_data": _data("D", quiz)}
    keyboard: Keyboard = {"inline_keyboard": [[button]]}
    return text, keyboard


def _data(action: str, quiz: OwnedQuiz) -> str:
    return MyQuizData(action, quiz.id).encode()
