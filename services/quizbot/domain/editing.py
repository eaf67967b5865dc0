"""Editing a stored quiz in the chat, pure: the ✏️ Edit conversation of /myquizzes.

A menu offers: rename, add a question, change a question, delete one, and
done. A new title, and a question added or written anew, go through the
/newquiz wizard's own steps (`wizard.step`), so each is checked, and each
refusal worded, exactly as there and as in a file import. The draft is the
wizard's (`domain.draft`) with `editing` set to the quiz's id; while question
`replacing` is written anew the wizard sees the questions before it, so its
prompts and refusals name that question's number.

Each finished change is a `Turn` with the draft back at the menu and `quiz`:
the title and questions as they now are. The caller stores them into the
quiz (keeping its slug, description, style and shuffle) while it was never
played, and into a copy after that, since answers refer to questions by
position. /done or ✅ Done ends the conversation; /cancel too, and a change
already stored stays.
"""

from __future__ import annotations

from dataclasses import replace

from quizbot.domain import limits, wizard
from quizbot.domain import prompts as say
from quizbot.domain.draft import Draft, Step
from quizbot.domain.formatting import clip, escape
from quizbot.domain.language import ENGLISH, N_, Translator, count
from quizbot.domain.prompts import Prompt
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.quizfile import derive_slug
from quizbot.domain.wizard import Cancel, Done, Event, Press, Text, Turn

RENAME, ADD, CHANGE, DELETE, FINISH = "w:e:r", "w:e:a", "w:e:c", "w:e:d", "w:e:ok"
PICK = "w:e:q:"  # + a question's position (0-based): the one to change or delete
BACK = "w:e:back"
WHICH = (Step.CHANGE_WHICH, Step.DELETE_WHICH)
BUTTON_CLIP = 40
# Telegram shows at most 100 buttons under a message: past this many questions
# the rest are picked by sending their number (any question may be).
PICK_BUTTONS_MAX = 90

MENU = N_("✏️ <b>{title}</b>: {questions}. What do you change?")
ENDED = N_("✅ Editing is over. /myquizzes lists your quizzes.")
WHICH_CHANGE = N_("Which question do you write anew? Press it, or send its number.")
WHICH_DELETE = N_("Which question do you delete? Press it, or send its number.")
WAS = N_("Question {number} was: {text}")
RENAMED = N_("✅ Renamed.")
CHANGED = N_("✅ Question {number} changed.")
REMOVED = N_("🗑 Question {number} deleted.")
LAST_ONE = N_("⚠️ A quiz keeps at least one question.")


def begin(quiz_id: int, title: str, questions: tuple[Question, ...], tr: Translator = ENGLISH,
          before: str = "") -> Turn:  # fmt: skip
    """✏️ Edit: the menu for the stored quiz `quiz_id`."""
    draft = Draft(step=Step.MENU, title=title, questions=questions, editing=quiz_id)
    return Turn(draft, menu(draft, before, tr))


def step(
    draft: Draft, event: Event, tr: Translator = ENGLISH, most: int = limits.QUESTIONS_MAX
) -> Turn:
    """Apply one message or button press to an edit under way (`most`: as `wizard.step`)."""
    finish = isinstance(event, Press) and event.data == FINISH and draft.step is Step.MENU
    if isinstance(event, Cancel) or finish or (isinstance(event, Done) and draft.step is Step.MENU):
        return Turn(None, Prompt(tr.gettext(ENDED)))
    if isinstance(event, Done) or (isinstance(event, Press) and event.data == BACK):
        # Back to the menu; what was under way is left out.
        under_way = draft.step not in WHICH and isinstance(event, Done)
        return _to_menu(draft, tr.gettext(say.LEFT_OUT) if under_way else "", tr)
    if draft.step is Step.MENU:
        return _menu_press(draft, event, tr, min(most, limits.QUESTIONS_MAX))
    if draft.step in WHICH:
        return _pick(draft, event, tr)
    return _wizard_step(draft, event, tr, most)


def menu(draft: Draft, before: str = "", tr: Translator = ENGLISH) -> Prompt:
    """What can be changed, after `before` (a confirmation or a refusal)."""
    lead = f"{before}\n\n" if before else ""
    questions = count(tr, "{count} question", "{count} questions", len(draft.questions))
    text = tr.gettext(MENU).format(title=escape(draft.title), questions=questions)
    buttons = (
        ((tr.gettext("✏️ Rename"), RENAME), (tr.gettext("➕ Add a question"), ADD)),
        ((tr.gettext("🔁 Change a question"), CHANGE), (tr.gettext("🗑 Delete a question"), DELETE)),
        ((tr.gettext("✅ Done"), FINISH),),
    )
    return Prompt(lead + text, buttons)


def resume(draft: Draft, tr: Translator = ENGLISH) -> Prompt:
    """Where an edit under way stands (/newquiz, or ✏️ Edit again)."""
    if draft.step is Step.MENU:
        return menu(draft, "", tr)
    if draft.step in WHICH:
        return _which(draft, "", tr)
    return say.ask(_view(draft), "", tr)


def _menu_press(draft: Draft, event: Event, tr: Translator, most: int) -> Turn:
    data = event.data if isinstance(event, Press) else ""
    if data == RENAME:
        return _go(replace(draft, step=Step.TITLE), "", tr)
    if data == ADD:
        if len(draft.questions) >= most:
            return _to_menu(draft, tr.gettext(say.TOO_MANY).format(count=most), tr)
        return _go(replace(draft, step=Step.QUESTION, replacing=None), "", tr)
    if data in (CHANGE, DELETE):
        nxt = replace(draft, step=Step.CHANGE_WHICH if data == CHANGE else Step.DELETE_WHICH)
        return Turn(nxt, _which(nxt, "", tr))
    return _to_menu(draft, "" if data else tr.gettext(say.NOT_NOW), tr)


def _pick(draft: Draft, event: Event, tr: Translator) -> Turn:
    if isinstance(event, Press):
        rest = event.data.removeprefix(PICK)
        index = int(rest) if event.data.startswith(PICK) and rest.isdigit() else -1
    else:  # a typed number, 1-based
        typed = event.text.strip() if isinstance(event, Text) else ""
        index = int(typed) - 1 if typed.isascii() and typed.isdigit() else -1
    if not 0 <= index < len(draft.questions):
        return Turn(
            draft, _which(draft, "" if isinstance(event, Press) else tr.gettext(say.NOT_NOW), tr)
        )
    if draft.step is Step.DELETE_WHICH:
        if len(draft.questions) == 1:
            return _to_menu(draft, tr.gettext(LAST_ONE), tr)
        kept = draft.questions[:index] + draft.questions[index + 1 :]
        return _changed(draft, kept, tr.gettext(REMOVED).format(number=index + 1), tr)
    nxt = replace(draft, step=Step.QUESTION, replacing=index)
    was = tr.gettext(WAS).format(number=index + 1, text=escape(draft.questions[index].text))
    return _go(nxt, was, tr)


def _wizard_step(draft: Draft, event: Event, tr: Translator, most: int) -> Turn:
    view = _view(draft)
    turn = wizard.step(view, event, tr, most)
    done = turn.draft
    if done is None:  # not reached: Cancel and /done are the edit's own
        return _to_menu(draft, "", tr)
    if draft.step is Step.TITLE and done.step is Step.QUESTION:
        renamed = replace(draft, title=done.title)
        return _changed(renamed, draft.questions, tr.gettext(RENAMED), tr)
    if len(done.questions) == len(view.questions) + 1:  # the question is complete
        new, at = done.questions[-1], draft.replacing
        if at is None:
            said = tr.gettext(say.ADDED).format(number=len(draft.questions) + 1)
            return _changed(draft, (*draft.questions, new), said, tr)
        questions = (*draft.questions[:at], new, *draft.questions[at + 1 :])
        return _changed(draft, questions, tr.gettext(CHANGED).format(number=at + 1), tr)
    # A step under way: the wizard's draft, over the whole quiz.
    under_way = replace(
        done, questions=draft.questions, editing=draft.editing, replacing=draft.replacing
    )
    return Turn(under_way, turn.prompt)


def _view(draft: Draft) -> Draft:
    """What the wizard sees: the questions before the one written anew, if one is."""
    if draft.replacing is None:
        return draft
    return replace(draft, questions=draft.questions[: draft.replacing])


def _changed(draft: Draft, questions: tuple[Question, ...], said: str, tr: Translator) -> Turn:
    nxt = Draft(step=Step.MENU, title=draft.title, questions=questions, editing=draft.editing)
    quiz = Quiz(derive_slug(nxt.title) or "quiz", nxt.title, "", questions)
    return Turn(nxt, menu(nxt, said, tr), quiz)


def _to_menu(draft: Draft, before: str, tr: Translator) -> Turn:
    nxt = Draft(step=Step.MENU, title=draft.title, questions=draft.questions, editing=draft.editing)
    return Turn(nxt, menu(nxt, before, tr))


def _go(nxt: Draft, before: str, tr: Translator) -> Turn:
    return Turn(nxt, say.ask(_view(nxt), before, tr))


def _which(draft: Draft, before: str, tr: Translator) -> Prompt:
    lead = f"{before}\n\n" if before else ""
    ask = WHICH_CHANGE if draft.step is Step.CHANGE_WHICH else WHICH_DELETE
    rows = tuple(
        ((f"{n}. {clip(q.text, BUTTON_CLIP)}", f"{PICK}{n - 1}"),)
        for n, q in enumerate(draft.questions[:PICK_BUTTONS_MAX], start=1)
    )
    return Prompt(lead + tr.gettext(ask), (*rows, ((tr.gettext("↩️ Back"), BACK),)))
