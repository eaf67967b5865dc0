"""The quiz file format (docs/quiz-format.md) and its validation.

`validate_quiz` takes data already decoded from YAML or JSON, so the domain
needs no parser; the loader in `quizbot.store.quizzes` decodes the file and
reports syntax errors with the same `Problem` type. Validation collects
every problem with a human-readable location instead of stopping at the
first, so a host fixes a file in one round.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quizbot.domain import limits
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Style

QUIZ_FIELDS = ("title", "slug", "description", "time_limit", "style", "questions")
QUESTION_FIELDS = ("question", "options", "correct", "explanation", "time_limit")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TOP = "top level"
SEP = " › "


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a quiz file, e.g. `question 4 › options`."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class QuizFileError(ValueError):
    """A quiz file that cannot be imported; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem], *, source: str) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


def derive_slug(title: str) -> str:
    """The slug a title gives: ASCII lowercase words joined by `-`, ≤ 40 chars."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[: limits.SLUG_MAX].rstrip("-")


def validate_quiz(data: object, *, source: str) -> Quiz:
    """Check decoded quiz data against the format and build the `Quiz`.

    Raises `QuizFileError` listing every problem found, each with its location.
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        problems.append(
            Problem(TOP, f"expected a mapping with title and questions, got {_kind(data)}")
        )
        raise QuizFileError(problems, source=source)
    _unknown_fields(data, QUIZ_FIELDS, TOP, problems)

    title = _text(data, "title", "title", limits.TITLE_MAX, problems, required=True)
    description = _text(data, "description", "description", limits.DESCRIPTION_MAX, problems)
    slug = _slug(data, title, problems)
    default_limit = limits.TIME_LIMIT_DEFAULT
    if "time_limit" in data:
        default_limit = _time_limit(data["time_limit"], "time_limit", problems) or default_limit

    questions: list[Question] = []
    raw_questions = data.get("questions")
    if raw_questions is None:
        problems.append(Problem("questions", "missing: a quiz needs a list of questions"))
    elif not isinstance(raw_questions, list):
        problems.append(Problem("questions", f"expected a list, got {_kind(raw_questions)}"))
    else:
        count = len(raw_questions)
        if count < limits.QUESTIONS_MIN:
            problems.append(Problem("questions", "the list is empty, at least 1 question needed"))
        elif count > limits.QUESTIONS_MAX:
            problems.append(
                Problem("questions", f"{count} given, at most {limits.QUESTIONS_MAX} allowed")
            )
        for number, raw in enumerate(raw_questions, start=1):
            question = _question(raw, f"question {number}", default_limit, problems)
            if question is not None:
                questions.append(question)

    style = _style(data, problems)
    if problems or title is None or slug is None:
        raise QuizFileError(problems, source=source)
    return Quiz(
        slug=slug,
        title=title,
        description=description or "",
        questions=tuple(questions),
        style=style,
    )


def _style(data: Mapping[str, object], problems: list[Problem]) -> Style:
    """The quiz's default play style: ``buttons`` (the default) or ``polls``."""
    value = data.get("style", Style.BUTTONS.value)
    if value not in {s.value for s in Style}:
        choices = " or ".join(s.value for s in Style)
        problems.append(Problem("style", f"expected {choices}, got {value!r}"))
        return Style.BUTTONS
    return Style(value)


def _question(
    raw: object, where: str, default_limit: int, problems: list[Problem]
) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(where, f"expected a mapping with question and options, got {_kind(raw)}")
        )
        return None
    before = len(problems)
    _unknown_fields(raw, QUESTION_FIELDS, where, problems)
    text = _text(
        raw, "question", f"{where}{SEP}question", limits.QUESTION_MAX, problems, required=True
    )
    options = _options(raw.get("options"), f"{where}{SEP}options", problems)
    correct = _correct(raw, options, f"{where}{SEP}correct", problems)
    explanation = _text(
        raw, "explanation", f"{where}{SEP}explanation", limits.EXPLANATION_MAX, problems
    )
    time_limit = default_limit
    if "time_limit" in raw:
        time_limit = (
            _time_limit(raw["time_limit"], f"{where}{SEP}time_limit", problems) or time_limit
        )
    if len(problems) > before or text is None or options is None or correct is None:
        return None
    return Question(
        text=text,
        options=tuple(options),
        correct=frozenset(index - 1 for index in correct),
        explanation=explanation or None,
        time_limit_s=time_limit,
    )


def _options(raw: object, where: str, problems: list[Problem]) -> list[str] | None:
    if raw is None:
        problems.append(Problem(where, "missing: list 2 to 12 answer options"))
        return None
    if not isinstance(raw, list):
        problems.append(Problem(where, f"expected a list, got {_kind(raw)}"))
        return None
    if len(raw) < limits.OPTIONS_MIN:
        problems.append(Problem(where, f"{len(raw)} given, at least {limits.OPTIONS_MIN} needed"))
    elif len(raw) > limits.OPTIONS_MAX:
        problems.append(
            Problem(where, f"{len(raw)} options given, at most {limits.OPTIONS_MAX} allowed")
        )
    options: list[str] = []
    seen: dict[str, int] = {}
    option_where = where.removesuffix("options")
    for number, value in enumerate(raw, start=1):
        here = f"{option_where}option {number}"
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # `options: [1969, 1972]` is natural YAML for years
        if not isinstance(value, str):
            hint = '; put it in quotes, like "yes" or "3.14"' if _is_scalar(value) else ""
            problems.append(Problem(here, f"expected text, got {_kind(value)}{hint}"))
            options.append("")
            continue
        value = value.strip()
        if _check_length(value, here, limits.OPTION_MAX, problems):
            key = value.casefold()
            if key in seen:
                problems.append(Problem(here, f'same as option {seen[key]} ("{value}")'))
            seen.setdefault(key, number)
        options.append(value)
    return options


def _correct(
    raw: Mapping[object, object], options: list[str] | None, where: str, problems: list[Problem]
) -> list[int] | None:
    if "correct" not in raw:
        problems.append(Problem(where, "missing: the number of the right option, counting from 1"))
        return None
    value = raw["correct"]
    values = value if isinstance(value, list) else [value]
    if not values:
        problems.append(Problem(where, "the list is empty, at least one right option needed"))
        return None
    found: list[int] = []
    for item in values:
        if not isinstance(item, int) or isinstance(item, bool):
            hint = ""
            if isinstance(item, str) and options and item.strip() in options:
                hint = (
                    f" (use the option's number, {options.index(item.strip()) + 1}, not its text)"
                )
            problems.append(Problem(where, f"expected an option number, got {_kind(item)}{hint}"))
        elif item == 0:
            problems.append(Problem(where, "options are counted from 1, so 0 is not an option"))
        elif options is not None and not 1 <= item <= len(options):
            problems.append(Problem(where, f"{item} is not an option: there are {len(options)}"))
        elif item in found:
            problems.append(Problem(where, f"{item} is listed twice"))
        else:
            found.append(item)
    return found if len(found) == len(values) else None


def _text(
    raw: Mapping[object, object],
    key: str,
    where: str,
    max_len: int,
    problems: list[Problem],
    *,
    required: bool = False,
) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            problems.append(Problem(where, "missing"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(where, f"expected text, got {_kind(value)}"))
        return None
    value = value.strip()
    if not value and not required:
        return None
    return value if _check_length(value, where, max_len, problems) else None


def _check_length(value: str, where: str, max_len: int, problems: list[Problem]) -> bool:
    if not value:
        problems.append(Problem(where, "is empty"))
        return False
    if len(value) > max_len:
        problems.append(Problem(where, f"{len(value)} characters, at most {max_len} allowed"))
        return False
    return True


def _slug(data: Mapping[object, object], title: str | None, problems: list[Problem]) -> str | None:
    value = data.get("slug")
    if value is None:
        if title is None:
            return None
        slug = derive_slug(title)
        if not slug:
            problems.append(Problem("slug", "the title has no latin letters or digits; add a slug"))
            return None
        return slug
    if not isinstance(value, str):
        problems.append(Problem("slug", f"expected text, got {_kind(value)}"))
        return None
    if len(value) > limits.SLUG_MAX:
        problems.append(
            Problem("slug", f"{len(value)} characters, at most {limits.SLUG_MAX} allowed")
        )
        return None
    if not SLUG_PATTERN.fullmatch(value):
        problems.append(
            Problem(
                "slug",
                f'"{value}" must be lowercase a-z, 0-9 and single dashes, like "world-capitals"',
            )
        )
        return None
    return value


def _time_limit(value: object, where: str, problems: list[Problem]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(Problem(where, f"expected whole seconds, got {_kind(value)}"))
        return None
    if not limits.TIME_LIMIT_MIN <= value <= limits.TIME_LIMIT_MAX:
        problems.append(
            Problem(
                where,
                f"{value} seconds, {limits.TIME_LIMIT_MIN} to {limits.TIME_LIMIT_MAX} allowed",
            )
        )
        return None
    return value


def _unknown_fields(
    raw: Mapping[object, object], known: Sequence[str], where: str, problems: list[Problem]
) -> None:
    for key in raw:
        if key in known:
            continue
        guess = difflib.get_close_matches(str(key), known, n=1)
        hint = f' (did you mean "{guess[0]}"?)' if guess else f" (allowed: {', '.join(known)})"
        problems.append(Problem(where, f'unknown field "{key}"{hint}'))


def _is_scalar(value: object) -> bool:
    return isinstance(value, bool | float)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'text ("{value[:40]}")'
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
