"""The quiz file format (docs/quiz-format.md) and its validation.

`validate_quiz` takes data already decoded from any of the formats (YAML,
JSON or the typed `.txt` format), so one set of rules and messages serves
all three. Validation collects every problem instead of stopping at the
first, so a host fixes a file in one round. Each problem names where it is
(`question 4 › options`) and, when the reader passed a map of where each
part of the data came from, the file's line.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence

from quizbot.domain import limits
from quizbot.domain.problems import Lines, Path, Report, describe
from quizbot.domain.problems import Problem as Problem  # where callers have long found it
from quizbot.domain.problems import QuizFileError as QuizFileError
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Style

QUIZ_FIELDS = ("title", "slug", "description", "time_limit", "style", "shuffle", "questions")
QUESTION_FIELDS = ("question", "options", "correct", "explanation", "time_limit")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def derive_slug(title: str) -> str:
    """The slug a title gives: ASCII lowercase words joined by `-`, ≤ 40 chars."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[: limits.SLUG_MAX].rstrip("-")


def validate_quiz(data: object, *, source: str, lines: Lines | None = None) -> Quiz:
    """Check decoded quiz data against the format and build the `Quiz`.

    `lines` maps paths in `data` to the lines they came from, so that each
    problem carries its line. Raises `QuizFileError` listing every problem.
    """
    report = Report(lines or {})
    if not isinstance(data, Mapping):
        report.add((), f"expected a mapping with title and questions, got {_kind(data)}")
        raise QuizFileError(report.problems, source=source)
    _unknown_fields(data, QUIZ_FIELDS, (), report)

    title = _text(data, ("title",), limits.TITLE_MAX, report, required=True)
    description = _text(data, ("description",), limits.DESCRIPTION_MAX, report)
    slug = _slug(data, title, report)
    default_limit = limits.TIME_LIMIT_DEFAULT
    if "time_limit" in data:
        default_limit = _time_limit(data["time_limit"], ("time_limit",), report) or default_limit

    questions: list[Question] = []
    raw_questions = data.get("questions")
    where: Path = ("questions",)
    if raw_questions is None:
        report.add(where, "missing: a quiz needs a list of questions")
    elif not isinstance(raw_questions, list):
        report.add(where, f"expected a list, got {_kind(raw_questions)}")
    else:
        count = len(raw_questions)
        if count < limits.QUESTIONS_MIN:
            report.add(where, "the list is empty, at least 1 question needed")
        elif count > limits.QUESTIONS_MAX:
            report.add(where, f"{count} given, at most {limits.QUESTIONS_MAX} allowed")
        for index, raw in enumerate(raw_questions):
            question = _question(raw, ("questions", index), default_limit, report)
            if question is not None:
                questions.append(question)

    style = _style(data, report)
    shuffle = _shuffle(data, report)
    if report.problems or title is None or slug is None:
        # In file order when lines are known; the sort is stable, so ties keep data order.
        raise QuizFileError(sorted(report.problems, key=lambda p: p.line or 0), source=source)
    return Quiz(
        slug=slug,
        title=title,
        description=description or "",
        questions=tuple(questions),
        style=style,
        shuffle=shuffle,
    )


def _shuffle(data: Mapping[str, object], report: Report) -> bool:
    """Whether each game shows a question's options in an order of its own (default: no)."""
    value = data.get("shuffle", False)
    if not isinstance(value, bool):
        report.add(("shuffle",), f"expected true or false, got {value!r}")
        return False
    return value


def _style(data: Mapping[str, object], report: Report) -> Style:
    """The quiz's default play style: ``buttons`` (the default) or ``polls``."""
    value = data.get("style", Style.BUTTONS.value)
    if value not in {s.value for s in Style}:
        choices = " or ".join(s.value for s in Style)
        report.add(("style",), f"expected {choices}, got {value!r}")
        return Style.BUTTONS
    return Style(value)


def _question(raw: object, path: Path, default_limit: int, report: Report) -> Question | None:
    if not isinstance(raw, Mapping):
        report.add(path, f"expected a mapping with question and options, got {_kind(raw)}")
        return None
    before = len(report.problems)
    _unknown_fields(raw, QUESTION_FIELDS, path, report)
    text = _text(raw, (*path, "question"), limits.QUESTION_MAX, report, required=True)
    options = _options(raw.get("options"), (*path, "options"), report)
    correct = _correct(raw, options, (*path, "correct"), report)
    explanation = _text(raw, (*path, "explanation"), limits.EXPLANATION_MAX, report)
    time_limit = default_limit
    if "time_limit" in raw:
        time_limit = _time_limit(raw["time_limit"], (*path, "time_limit"), report) or time_limit
    if len(report.problems) > before or text is None or options is None or correct is None:
        return None
    return Question(
        text=text,
        options=tuple(options),
        correct=frozenset(index - 1 for index in correct),
        explanation=explanation or None,
        time_limit_s=time_limit,
    )


def _options(raw: object, path: Path, report: Report) -> list[str] | None:
    if raw is None:
        report.add(path, "missing: list 2 to 12 answer options")
        return None
    if not isinstance(raw, list):
        report.add(path, f"expected a list, got {_kind(raw)}")
        return None
    if len(raw) < limits.OPTIONS_MIN:
        report.add(path, f"{len(raw)} given, at least {limits.OPTIONS_MIN} needed")
    elif len(raw) > limits.OPTIONS_MAX:
        report.add(path, f"{len(raw)} options given, at most {limits.OPTIONS_MAX} allowed")
    options: list[str] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(raw):
        here = (*path, index)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # `options: [1969, 1972]` is natural YAML for years
        if not isinstance(value, str):
            hint = '; put it in quotes, like "yes" or "3.14"' if _is_scalar(value) else ""
            report.add(here, f"expected text, got {_kind(value)}{hint}")
            options.append("")
            continue
        value = value.strip()
        if _check_length(value, here, limits.OPTION_MAX, report):
            key = value.casefold()
            if key in seen:
                report.add(here, f'same as option {seen[key]} ("{value}")')
            seen.setdefault(key, index + 1)
        options.append(value)
    return options


def _correct(
    raw: Mapping[object, object], options: list[str] | None, path: Path, report: Report
) -> list[int] | None:
    if "correct" not in raw:
        report.add(path, "missing: the number of the right option, counting from 1")
        return None
    value = raw["correct"]
    values = value if isinstance(value, list) else [value]
    if not values:
        report.add(path, "the list is empty, at least one right option needed")
        return None
    found: list[int] = []
    for item in values:
        if not isinstance(item, int) or isinstance(item, bool):
            hint = ""
            if isinstance(item, str) and options and item.strip() in options:
                number = options.index(item.strip()) + 1
                hint = f" (use the option's number, {number}, not its text)"
            report.add(path, f"expected an option number, got {_kind(item)}{hint}")
        elif item == 0:
            report.add(path, "options are counted from 1, so 0 is not an option")
        elif options is not None and not 1 <= item <= len(options):
            report.add(path, f"{item} is not an option: there are {len(options)}")
        elif item in found:
            report.add(path, f"{item} is listed twice")
        else:
            found.append(item)
    return found if len(found) == len(values) else None


def _text(
    raw: Mapping[object, object],
    path: Path,
    max_len: int,
    report: Report,
    *,
    required: bool = False,
) -> str | None:
    value = raw.get(path[-1])
    if value is None:
        if required:
            report.add(path, "missing")
        return None
    if not isinstance(value, str):
        report.add(path, f"expected text, got {_kind(value)}")
        return None
    value = value.strip()
    if not value and not required:
        return None
    return value if _check_length(value, path, max_len, report) else None


def _check_length(value: str, path: Path, max_len: int, report: Report) -> bool:
    if not value:
        report.add(path, "is empty")
        return False
    if len(value) > max_len:
        report.add(path, f"{len(value)} characters, at most {max_len} allowed")
        return False
    return True


def _slug(data: Mapping[object, object], title: str | None, report: Report) -> str | None:
    value = data.get("slug")
    if value is None:
        if title is None:
            return None
        slug = derive_slug(title)
        if not slug:
            report.add(("slug",), "the title has no latin letters or digits; add a slug")
            return None
        return slug
    if not isinstance(value, str):
        report.add(("slug",), f"expected text, got {_kind(value)}")
        return None
    if len(value) > limits.SLUG_MAX:
        report.add(("slug",), f"{len(value)} characters, at most {limits.SLUG_MAX} allowed")
        return None
    if not SLUG_PATTERN.fullmatch(value):
        report.add(
            ("slug",),
            f'"{value}" must be lowercase a-z, 0-9 and single dashes, like "world-capitals"',
        )
        return None
    return value


def _time_limit(value: object, path: Path, report: Report) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        report.add(path, f"expected whole seconds, got {_kind(value)}")
        return None
    if not limits.TIME_LIMIT_MIN <= value <= limits.TIME_LIMIT_MAX:
        allowed = f"{limits.TIME_LIMIT_MIN} to {limits.TIME_LIMIT_MAX} allowed"
        report.add(path, f"{value} seconds, {allowed}")
        return None
    return value


def _unknown_fields(
    raw: Mapping[object, object], known: Sequence[str], path: Path, report: Report
) -> None:
    for key in raw:
        if key in known:
            continue
        guess = difflib.get_close_matches(str(key), known, n=1)
        hint = f' (did you mean "{guess[0]}"?)' if guess else f" (allowed: {', '.join(known)})"
        # Located at the path (`top level`), lined at the key itself.
        report.add((*path, str(key)), f'unknown field "{key}"{hint}', location=describe(path))


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
