"""What the /newquiz wizard says: the question each step of a draft waits for.

The words are gettext messages, translated where they are used; a refusal from
the quiz format's validation (`question 1 › option 4: …`) is shown as the
file importer words it. Buttons carry `w:` callback data (see `wizard`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from quizbot.domain import limits
from quizbot.domain.draft import Draft, Step
from quizbot.domain.formatting import escape
from quizbot.domain.language import ENGLISH, N_, Translator, count

PREFIX = "w:"  # wizard buttons; answer buttons start with "a:"
END_OPTIONS, RIGHT_DONE, SKIP = "w:end", "w:ok", "w:skip"
SHUFFLE_ON, SHUFFLE_OFF = "w:sh:1", "w:sh:0"
TIME_CHOICES = (10, 20, 30, 60)

START = N_("📝 A new quiz. Send its title.")
RESUME = N_("📝 Your draft “{title}” is where you left it.")
DROPPED = N_("🗑 The draft is dropped.")
NOT_NOW = N_("⚠️ Not now.")
ADDED = N_("✅ Question {number} added.")
FIRST_QUESTION = N_("⚠️ Add a question first.")
TOO_MANY = N_("⚠️ At most {count} questions: /done.")
FEW_OPTIONS = N_("⚠️ At least {count} options are needed.")
NO_RIGHT = N_("⚠️ Press at least one right option.")
LEFT_OUT = N_("The unfinished question was left out.")
QUOTA_KEPT = N_("Your draft is kept: delete a quiz in /myquizzes, then send /done again.")
READY = N_("🎉 “{title}” is ready: {questions}. Play it with /play {slug}")


@dataclass(frozen=True, slots=True)
class Prompt:
    """The bot's reply: a text and rows of (label, callback_data) buttons."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


def ask(draft: Draft, before: str = "", tr: Translator = ENGLISH) -> Prompt:
    """What the draft waits for, after `before` (a refusal or a confirmation)."""
    lead = f"{before}\n\n" if before else ""
    if draft.step is Step.TITLE:
        return Prompt(lead + tr.gettext("Send the quiz's title."))
    if draft.step is Step.QUESTION:
        number = len(draft.questions) + 1
        if draft.questions:
            text = tr.gettext("Question {number}: send its text, or /done to finish.")
        else:
            text = tr.gettext("Question {number}: send its text.")
        return Prompt(lead + text.format(number=number))
    if draft.step is Step.OPTIONS:
        listed = "".join(f"\n{i}. {escape(o)}" for i, o in enumerate(draft.options, start=1))
        done = tr.gettext("✅ That's all ({count})").format(count=len(draft.options))
        return Prompt(
            lead + tr.gettext("Send the options, one per message or one per line.") + listed,
            (((done, END_OPTIONS),),) if draft.options else (),
        )
    if draft.step is Step.CORRECT:
        rows = tuple(
            ((f"{'✅' if i in draft.correct else '▫️'} {o}", f"{PREFIX}c:{i}"),)
            for i, o in enumerate(draft.options)
        )
        return Prompt(
            lead + tr.gettext("Press the right option (or several)."),
            (*rows, ((tr.gettext("Done"), RIGHT_DONE),)),
        )
    if draft.step is Step.EXPLANATION:
        return Prompt(
            lead + tr.gettext("Send an explanation, shown when the question closes."),
            (((tr.gettext("Skip"), SKIP),),),
        )
    if draft.step is Step.SHUFFLE:
        return Prompt(
            lead + tr.gettext("Shuffle the options of each question in every game?"),
            (((tr.gettext("🔀 Shuffle"), SHUFFLE_ON), (tr.gettext("Keep my order"), SHUFFLE_OFF)),),
        )
    times = tuple((f"{s} s", f"{PREFIX}t:{s}") for s in TIME_CHOICES)
    text = tr.gettext("Time to answer? Press one, or send seconds ({low}-{high}).")
    return Prompt(
        lead + text.format(low=limits.TIME_LIMIT_MIN, high=limits.TIME_LIMIT_MAX), (times,)
    )


def refusals(problems: Iterable[object]) -> str:
    """Validation problems as the file importer words them, one per line (HTML-escaped)."""
    # quote=False: a message text needs only <, > and & escaped, and the quotes
    # the importer puts around a value stay as the host reads them in a file.
    return "\n".join(f"⚠️ {html.escape(str(p), quote=False)}" for p in problems)


def resume(draft: Draft, tr: Translator = ENGLISH) -> Prompt:
    """/newquiz while a draft is under way: where it was."""
    if draft.step is Step.TITLE:
        return ask(draft, "", tr)
    return ask(draft, tr.gettext(RESUME).format(title=escape(draft.title)), tr)


def ready(title: str, slug: str, questions: int, tr: Translator = ENGLISH) -> str:
    """The last words of a finished draft: the quiz is saved, and how to play it."""
    counted = count(tr, "{count} question", "{count} questions", questions)
    return tr.gettext(READY).format(title=escape(title), questions=counted, slug=slug)
