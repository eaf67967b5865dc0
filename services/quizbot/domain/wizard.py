"""The /newquiz conversation, pure: draft + event -> new draft + prompt.

A host builds a quiz one message at a time: the title, then for each
question its text, its options, the right ones (buttons), an optional
explanation and a time limit, then /done and whether each game shuffles the
options (`Quiz.shuffle`). Each step is checked by the quiz
format's own validation (`validate_quiz`) on the draft so far, so a wizard
step refuses exactly what a file import would, with the same message. The
draft is a plain value (`domain.draft`), so the web tier can store it after every step and a
restart resumes it where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from quizbot.domain import limits
from quizbot.domain import prompts as say
from quizbot.domain.draft import Draft, Step
from quizbot.domain.language import ENGLISH, Translator
from quizbot.domain.problems import Problem, QuizFileError
from quizbot.domain.prompts import END_OPTIONS, PREFIX, RIGHT_DONE, SHUFFLE_ON, SKIP, Prompt
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.quizfile import derive_slug, validate_quiz

__all__ = ["Draft", "Prompt", "Step", "Turn", "start", "step"]


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Press:
    data: str  # the button's callback_data


@dataclass(frozen=True, slots=True)
class Done:
    """/done"""


@dataclass(frozen=True, slots=True)
class Cancel:
    """/cancel"""


Event = Text | Press | Done | Cancel


@dataclass(frozen=True, slots=True)
class Turn:
    """One step's outcome. `draft` None means the conversation is over: with
    `quiz` when it was finished (the caller stores it and says where, see
    `prompts.ready`), without when it was cancelled."""

    draft: Draft | None
    prompt: Prompt
    quiz: Quiz | None = None


def start(tr: Translator = ENGLISH) -> Turn:
    """/newquiz: an empty draft, asking for the title."""
    return Turn(Draft(), say.Prompt(tr.gettext(say.START)))


def step(
    draft: Draft, event: Event, tr: Translator = ENGLISH, most: int = limits.QUESTIONS_MAX
) -> Turn:
    """Apply one message or button press to the draft; a quiz takes at most `most`
    questions (the per-user quota, within the format's limit)."""
    if isinstance(event, Cancel):
        return Turn(None, Prompt(tr.gettext(say.DROPPED)))
    if isinstance(event, Done):
        return _done(draft, tr)
    most = min(most, limits.QUESTIONS_MAX)
    if isinstance(event, Text) and draft.step is Step.QUESTION and len(draft.questions) >= most:
        return Turn(draft, say.ask(draft, tr.gettext(say.TOO_MANY).format(count=most), tr))
    handler = _TEXT if isinstance(event, Text) else _PRESS
    act = handler.get(draft.step)
    if act is None:
        return Turn(draft, say.ask(draft, tr.gettext(say.NOT_NOW), tr))
    return act(draft, event.text if isinstance(event, Text) else event.data, tr)


def _title(draft: Draft, text: str, tr: Translator) -> Turn:
    nxt = replace(draft, title=text.strip(), step=Step.QUESTION)
    return _check(nxt, ("title",), draft, tr)


def _question(draft: Draft, text: str, tr: Translator) -> Turn:
    nxt = replace(draft, text=text.strip(), options=(), correct=frozenset(), step=Step.OPTIONS)
    return _check(nxt, ("questions", len(draft.questions), "question"), draft, tr)


def _options(draft: Draft, text: str, tr: Translator) -> Turn:
    added = tuple(line.strip() for line in text.splitlines() if line.strip())
    nxt = replace(draft, options=draft.options + added)
    return _check(nxt, ("questions", len(draft.questions), "options"), draft, tr)


def _end_options(draft: Draft, data: str, tr: Translator) -> Turn:
    if data != END_OPTIONS:
        return Turn(draft, say.ask(draft, "", tr))
    if len(draft.options) < limits.OPTIONS_MIN:
        refusal = tr.gettext(say.FEW_OPTIONS).format(count=limits.OPTIONS_MIN)
        return Turn(draft, say.ask(draft, refusal, tr))
    return _go(replace(draft, step=Step.CORRECT), tr)


def _pick(draft: Draft, data: str, tr: Translator) -> Turn:
    if data == RIGHT_DONE:
        if not draft.correct:
            return Turn(draft, say.ask(draft, tr.gettext(say.NO_RIGHT), tr))
        return _go(replace(draft, step=Step.EXPLANATION), tr)
    index = _number(data, f"{PREFIX}c:")
    if index is None or not 0 <= index < len(draft.options):
        return Turn(draft, say.ask(draft, "", tr))
    return _go(replace(draft, correct=draft.correct ^ {index}), tr)


def _explain(draft: Draft, text: str, tr: Translator) -> Turn:
    nxt = replace(draft, explanation=text.strip() or None, step=Step.TIME)
    return _check(nxt, ("questions", len(draft.questions), "explanation"), draft, tr)


def _skip(draft: Draft, data: str, tr: Translator) -> Turn:
    if data != SKIP:
        return Turn(draft, say.ask(draft, "", tr))
    return _go(replace(draft, explanation=None, step=Step.TIME), tr)


def _time_text(draft: Draft, text: str, tr: Translator) -> Turn:
    value = text.strip().removesuffix("s").strip()
    return _time(draft, int(value) if value.isascii() and value.isdigit() else text.strip(), tr)


def _time_press(draft: Draft, data: str, tr: Translator) -> Turn:
    seconds = _number(data, f"{PREFIX}t:")
    return _time(draft, seconds, tr) if seconds is not None else Turn(draft, say.ask(draft, "", tr))


def _time(draft: Draft, seconds: object, tr: Translator) -> Turn:
    problems = _problems(draft, time_limit=seconds)
    where = ("questions", len(draft.questions), "time_limit")
    refused = [p for p in problems if p.path == where]
    if refused or not isinstance(seconds, int):
        return Turn(draft, say.ask(draft, say.refusals(refused), tr))
    question = Question(draft.text, draft.options, draft.correct, draft.explanation, seconds)
    nxt = Draft(step=Step.QUESTION, title=draft.title, questions=(*draft.questions, question))
    added = tr.gettext(say.ADDED).format(number=len(nxt.questions))
    return Turn(nxt, say.ask(nxt, added, tr))


def _done(draft: Draft, tr: Translator) -> Turn:
    if draft.step is Step.SHUFFLE:
        return Turn(draft, say.ask(draft, "", tr))
    if not draft.questions:
        return Turn(draft, say.ask(draft, tr.gettext(say.FIRST_QUESTION), tr))
    # What is under way is left out: the draft keeps only finished questions.
    nxt = Draft(step=Step.SHUFFLE, title=draft.title, questions=draft.questions)
    left_out = "" if draft.step is Step.QUESTION else tr.gettext(say.LEFT_OUT)
    return Turn(nxt, say.ask(nxt, left_out, tr))


def _shuffle(draft: Draft, data: str, tr: Translator) -> Turn:
    if data not in (say.SHUFFLE_ON, say.SHUFFLE_OFF):
        return Turn(draft, say.ask(draft, "", tr))
    quiz = validate_quiz(_data(draft, with_pending=False), source="wizard")
    return Turn(None, Prompt(""), replace(quiz, shuffle=data == SHUFFLE_ON))


def _go(nxt: Draft, tr: Translator) -> Turn:
    return Turn(nxt, say.ask(nxt, "", tr))


def _check(nxt: Draft, where: tuple[str | int, ...], before: Draft, tr: Translator) -> Turn:
    """Move to `nxt` unless validation finds a problem at `where` (or under it)."""
    refused = [p for p in _problems(nxt) if _under(p, where, nxt)]
    if refused:
        # The file importer's words: `question 1 › option 4: same as option 2 ("4")`.
        return Turn(before, say.ask(before, say.refusals(refused), tr))
    return _go(nxt, tr)


def _under(problem: Problem, where: tuple[str | int, ...], draft: Draft) -> bool:
    path = problem.path or ()
    # A stand-in option (see `_data`) is never the host's problem.
    stand_in = (
        len(path) > len(where) and isinstance(path[-1], int) and path[-1] >= len(draft.options)
    )
    return path[: len(where)] == where and not stand_in


def _problems(draft: Draft, time_limit: object = limits.TIME_LIMIT_DEFAULT) -> list[Problem]:
    try:
        validate_quiz(_data(draft, time_limit=time_limit), source="wizard")
    except QuizFileError as exc:
        return exc.problems
    return []


def _data(
    draft: Draft, *, with_pending: bool = True, time_limit: object = limits.TIME_LIMIT_DEFAULT
) -> dict[str, object]:
    """The draft as quiz file data; the question under way is filled with stand-ins."""
    questions: list[dict[str, object]] = [
        {
            "question": q.text,
            "options": list(q.options),
            "correct": [i + 1 for i in sorted(q.correct)],
            "explanation": q.explanation,
            "time_limit": q.time_limit_s,
        }
        for q in draft.questions
    ]
    if with_pending and draft.step not in (Step.TITLE, Step.SHUFFLE):
        # Stand-ins fill what the host has not sent yet, so only what was sent is judged.
        taken = {option.casefold() for option in draft.options}
        pad = [f"…{n}" for n in range(limits.OPTIONS_MIN + 1) if f"…{n}" not in taken]
        options = [*draft.options, *pad[: max(0, limits.OPTIONS_MIN - len(draft.options))]]
        questions.append(
            {
                "question": "?" if draft.step is Step.QUESTION else draft.text,
                "options": options,
                "correct": [i + 1 for i in sorted(draft.correct)] or [1],
                "explanation": draft.explanation,
                "time_limit": time_limit,
            }
        )
    title = "?" if draft.step is Step.TITLE else draft.title
    return {
        "title": title,
        "slug": derive_slug(title) or "quiz",
        "questions": questions or [_STAND_IN],
    }


_STAND_IN: dict[str, object] = {"question": "?", "options": ["1", "2"], "correct": 1}


def _number(data: str, prefix: str) -> int | None:
    rest = data.removeprefix(prefix)
    return int(rest) if data.startswith(prefix) and rest.isdigit() else None


_TEXT = {
    Step.TITLE: _title,
    Step.QUESTION: _question,
    Step.OPTIONS: _options,
    Step.EXPLANATION: _explain,
    Step.TIME: _time_text,
}
_PRESS = {
    Step.OPTIONS: _end_options,
    Step.CORRECT: _pick,
    Step.EXPLANATION: _skip,
    Step.TIME: _time_press,
    Step.SHUFFLE: _shuffle,
}
