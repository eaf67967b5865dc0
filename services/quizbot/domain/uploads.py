"""A quiz sent to the bot as a file: what is accepted, and every reply about it.

The web tier checks what Telegram says of the file before anyone downloads it
(its name and ``file_size``); the worker that downloads and imports it words
the outcome: the quiz made, or every problem with its line. Pure: the caller
passes the translator and the bot's username.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from quizbot.domain import limits
from quizbot.domain.formatting import escape
from quizbot.domain.language import ENGLISH, N_, Translator, count
from quizbot.domain.problems import Problem
from quizbot.domain.sharing import quiz_card_keyboard

# A quiz of 100 questions of 300 characters with 12 options of 100 is far below this.
MAX_BYTES = 1024 * 1024
# A file whose caption is "edit <slug>" (or "/edit <slug>") edits that quiz.
_EDIT = re.compile(r"/?edit\s+([a-z0-9-]{1,64})", re.IGNORECASE)
# The formats by extension, as ``quizbot quiz import`` reads them.
FORMATS = {".txt": "txt", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}

WRONG_TYPE = N_(
    "I read quizzes from <code>.txt</code>, <code>.yaml</code> or <code>.json</code> files. "
    "<code>{name}</code> is none of those."
)
TOO_BIG = N_("<code>{name}</code> is over 1 MB; a quiz file is much smaller. Nothing imported.")
TOO_MANY_QUESTIONS = N_(
    "<code>{name}</code> has {count} questions; a quiz may have at most {most}. Nothing imported."
)
NOT_DOWNLOADED = N_("I could not download <code>{name}</code> from Telegram. Please send it again.")
NOT_TEXT = N_("<code>{name}</code> is not UTF-8 text. Nothing imported.")
IMPORTED = N_("✅ <b>{title}</b> is yours: {questions}, private to you (<code>{slug}</code>).")
EDITED = N_("✏️ <b>{title}</b> is updated: {questions} (<code>{slug}</code>).")
COPIED = N_(
    "<b>{old}</b> has been played, so its questions stay as they were. Your file is a new "
    "quiz: <b>{title}</b>, {questions} (<code>{slug}</code>)."
)
NOT_YOURS_TO_EDIT = N_("You have no quiz called <code>{slug}</code> to edit. See /myquizzes.")
PROBLEMS_HEAD = N_("❌ <code>{name}</code> was not imported. Fix these and send it again:")


def file_format(name: str) -> str | None:
    """The quiz format a file's name says (``txt``, ``yaml``, ``json``), or None."""
    dot = name.rfind(".")
    return FORMATS.get(name[dot:].lower()) if dot >= 0 else None


def edit_target(caption: str) -> str | None:
    """The slug a file's caption asks to edit (``edit <slug>``), or None."""
    match = _EDIT.fullmatch(caption.strip())
    return match.group(1).lower() if match else None


def refusal(name: str, size: int | None, tr: Translator = ENGLISH) -> str | None:
    """Why a document is refused before any download, or None when it may be fetched."""
    if file_format(name) is None:
        return tr.gettext(WRONG_TYPE).format(name=escape(name))
    if size is not None and size > MAX_BYTES:
        return tr.gettext(TOO_BIG).format(name=escape(name))
    return None


def too_many_quizzes(quota: int, tr: Translator = ENGLISH) -> str:
    """The reply when the sender already keeps ``quota`` quizzes."""
    return count(
        tr,
        "You have {count} quiz, the most one person may keep. Delete one first.",
        "You have {count} quizzes, the most one person may keep. Delete one first.",
        quota,
    )


def imported(
    title: str,
    slug: str,
    questions: int,
    bot_username: str | None,
    tr: Translator = ENGLISH,
    *,
    message: str = IMPORTED,
    old: str = "",
) -> tuple[str, dict[str, object] | None]:
    """The reply to a quiz made (or edited, or copied) from a file, with Play buttons
    when the bot's name is known."""
    text = tr.gettext(message).format(
        title=escape(title),
        questions=count(tr, "{count} question", "{count} questions", questions),
        slug=escape(slug),
        old=escape(old),
    )
    keyboard = quiz_card_keyboard(slug, bot_username, tr) if bot_username else None
    return text, keyboard


def problems(name: str, found: Sequence[Problem], tr: Translator = ENGLISH) -> list[str]:
    """Every problem, each with its line, in as many messages as Telegram's limit needs."""
    messages: list[str] = []
    current = tr.gettext(PROBLEMS_HEAD).format(name=escape(name))
    for problem in found:
        line = "• " + escape(str(problem))
        if len(current) + 1 + len(line) > limits.TEXT_MAX:
            messages.append(current)
            current = line[: limits.TEXT_MAX]
        else:
            current += "\n" + line
    messages.append(current)
    return messages
