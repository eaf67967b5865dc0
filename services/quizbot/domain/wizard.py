"""The /newquiz conversation, pure: draft + event -> new draft + prompt.

A host builds a quiz one message at a time: the title, then for each
question its text, its options, the right ones (buttons), an optional
explanation and a time limit, then /done. Each step is checked by the quiz
format's own validation (`validate_quiz`) on the draft so far, so a wizard
step refuses exactly what a file import would, with the same message. The
draft is a plain value, so the web tier can store it after every step and a
restart resumes it where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from quizbot.domain import limits
from quizbot.domain.problems import Problem, QuizFileError
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.quizfile import derive_slug, validate_quiz

PREFIX = "w:"  # wizard buttons; answer buttons start with "a:"
END_OPTIONS, RIGHT_DONE, SKIP = "w:end", "w:ok", "w:skip"
TIME_CHOICES = (10, 20, 30, 60)


class Step(StrEnum):
    TITLE = "title"
    QUESTION = "question"
    OPTIONS = "options"
    CORRECT = "correct"
    EXPLANATION = "explanation"
    TIME = "time"


@dataclass(frozen=True, slots=True)
class Draft:
    """A quiz being made: what is done, and the question under way."""

    step: Step = Step.TITLE
    title: str = ""
    questions: tuple[Question, ...] = ()
    text: str = ""
    options: tuple[str, ...] = ()
    correct: frozenset[int] = frozenset()
    explanation: str | None = None


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
class Prompt:
    """The bot's reply: a text and rows of (label, callback_data) buttons."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Turn:
    """One step's outcome. `draft` None means the conversation is over:
    with `quiz` when it was finished, without when it was cancelled."""

    draft: Draft | None
    prompt: Prompt
    quiz: Quiz | None = None


def start() -> Turn:
    """/newquiz: an empty draft, asking for the title."""
    return Turn(Draft(), Prompt("📝 A new quiz. Send its title."))


def step(draft: Draft, event: Event) -> Turn:
    """Apply one message or button press to the draft."""
    if isinstance(event, Cancel):
        return Turn(None, Prompt("🗑 The draft is dropped."))
    if isinstance(event, Done):
        return _done(draft)
    handler = _TEXT if isinstance(event, Text) else _PRESS
    act = handler.get(draft.step)
    if act is None:
        return Turn(draft, ask(draft, "⚠️ Not now."))
    return act(draft, event.text if isinstance(event, Text) else event.data)


def ask(draft: Draft, before: str = "") -> Prompt:
    """What the draft waits for, after `before` (a refusal or a confirmation)."""
    number = len(draft.questions) + 1
    lead = f"{before}\n\n" if before else ""
    if draft.step is Step.TITLE:
        return Prompt(f"{lead}Send the quiz's title.")
    if draft.step is Step.QUESTION:
        finish = " or /done to finish" if draft.questions else ""
        return Prompt(f"{lead}Question {number}: send its text{finish}.")
    if draft.step is Step.OPTIONS:
        listed = "".join(f"\n{i}. {o}" for i, o in enumerate(draft.options, start=1))
        return Prompt(
            f"{lead}Send the options, one per message or one per line.{listed}",
            (((f"✅ That's all ({len(draft.options)})", END_OPTIONS),),) if draft.options else (),
        )
    if draft.step is Step.CORRECT:
        rows = tuple(
            ((f"{'✅' if i in draft.correct else '▫️'} {o}", f"{PREFIX}c:{i}"),)
            for i, o in enumerate(draft.options)
        )
        return Prompt(
            f"{lead}Press the right option (or several).", (*rows, (("Done", RIGHT_DONE),))
        )
    if draft.step is Step.EXPLANATION:
        return Prompt(
            f"{lead}Send an explanation, shown when the question closes.", ((("Skip", SKIP),),)
        )
    times = tuple((f"{s} s", f"{PREFIX}t:{s}") for s in TIME_CHOICES)
    allowed = f"{limits.TIME_LIMIT_MIN}-{limits.TIME_LIMIT_MAX}"
    return Prompt(f"{lead}Time to answer? Press one, or send seconds ({allowed}).", (times,))


def _title(draft: Draft, text: str) -> Turn:
    return _check(replace(draft, title=text.strip(), step=Step.QUESTION), ("title",), draft)


def _question(draft: Draft, text: str) -> Turn:
    if len(draft.questions) >= limits.QUESTIONS_MAX:
        return Turn(draft, ask(draft, f"⚠️ At most {limits.QUESTIONS_MAX} questions: /done."))
    nxt = replace(draft, text=text.strip(), options=(), correct=frozenset(), step=Step.OPTIONS)
    return _check(nxt, ("questions", len(draft.questions), "question"), draft)


def _options(draft: Draft, text: str) -> Turn:
    added = tuple(line.strip() for line in text.splitlines() if line.strip())
    nxt = replace(draft, options=draft.options + added)
    return _check(nxt, ("questions", len(draft.questions), "options"), draft)


def _end_options(draft: Draft, data: str) -> Turn:
    if data != END_OPTIONS:
        return Turn(draft, ask(draft))
    if len(draft.options) < limits.OPTIONS_MIN:
        return Turn(draft, ask(draft, f"⚠️ At least {limits.OPTIONS_MIN} options are needed."))
    return Turn(replace(draft, step=Step.CORRECT), ask(replace(draft, step=Step.CORRECT)))


def _pick(draft: Draft, data: str) -> Turn:
    if data == RIGHT_DONE:
        if not draft.correct:
            return Turn(draft, ask(draft, "⚠️ Press at least one right option."))
        nxt = replace(draft, step=Step.EXPLANATION)
        return Turn(nxt, ask(nxt))
    index = _number(data, f"{PREFIX}c:")
    if index is None or not 0 <= index < len(draft.options):
        return Turn(draft, ask(draft))
    nxt = replace(draft, correct=draft.correct ^ {index})
    return Turn(nxt, ask(nxt))


def _explain(draft: Draft, text: str) -> Turn:
    nxt = replace(draft, explanation=text.strip() or None, step=Step.TIME)
    return _check(nxt, ("questions", len(draft.questions), "explanation"), draft)


def _skip(draft: Draft, data: str) -> Turn:
    if data != SKIP:
        return Turn(draft, ask(draft))
    nxt = replace(draft, explanation=None, step=Step.TIME)
    return Turn(nxt, ask(nxt))


def _time_text(draft: Draft, text: str) -> Turn:
    value = text.strip().removesuffix("s").strip()
    return _time(draft, int(value) if value.isdigit() else text.strip())


def _time_press(draft: Draft, data: str) -> Turn:
    seconds = _number(data, f"{PREFIX}t:")
    return _time(draft, seconds) if seconds is not None else Turn(draft, ask(draft))


def _time(draft: Draft, seconds: object) -> Turn:
    problems = _problems(draft, time_limit=seconds)
    where = ("questions", len(draft.questions), "time_limit")
    refused = [p for p in problems if p.path == where]
    if refused or not isinstance(seconds, int):
        return Turn(draft, ask(draft, "\n".join(f"⚠️ {p}" for p in refused)))
    question = Question(draft.text, draft.options, draft.correct, draft.explanation, seconds)
    nxt = Draft(step=Step.QUESTION, title=draft.title, questions=(*draft.questions, question))
    return Turn(nxt, ask(nxt, f"✅ Question {len(nxt.questions)} added."))


def _done(draft: Draft) -> Turn:
    if not draft.questions:
        return Turn(draft, ask(draft, "⚠️ Add a question first."))
    quiz = validate_quiz(_data(draft, with_pending=False), source="wizard")
    kept = len(draft.questions)
    dropped = "" if draft.step is Step.QUESTION else " The unfinished question was left out."
    count = f"{kept} question{'' if kept == 1 else 's'}"
    return Turn(None, Prompt(f"🎉 “{quiz.title}” is ready: {count}.{dropped}"), quiz)


def _check(nxt: Draft, where: tuple[str | int, ...], before: Draft) -> Turn:
    """Move to `nxt` unless validation finds a problem at `where` (or under it)."""
    refused = [p for p in _problems(nxt) if _under(p, where, nxt)]
    if refused:
        # The file importer's words: `question 1 › option 4: same as option 2 ("4")`.
        return Turn(before, ask(before, "\n".join(f"⚠️ {p}" for p in refused)))
    return Turn(nxt, ask(nxt))


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
    if with_pending and draft.step is not Step.TITLE:
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
}
