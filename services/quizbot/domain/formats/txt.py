"""The `.txt` quiz format: what a host types on a phone (docs/quiz-format.md).

    Space
    Planets, moons and the people who went up there.
    ~ 20s

    Which planet is closest to the Sun?
    - Venus
    * Mercury
    > Mercury orbits at about 58 million km.
    ~ 30s

The first block is the title line, then optional description lines,
`~ 20s` (the default time limit), `slug: ...`, `style: polls` and
`shuffle: on`. Each
following block, after a blank line, is a question: its text, then options
as `- ` lines with `* ` for each right one, an optional `> explanation` and
an optional `~ 30s`. A line whose text starts like a marker is written
with a leading backslash, which the reader drops.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NoReturn

from quizbot.domain import limits
from quizbot.domain.problems import Path, Problem, QuizFileError, describe
from quizbot.domain.quiz import Quiz
from quizbot.domain.quizfile import validate_quiz
from quizbot.domain.session import Style

OPTION, RIGHT, EXPLAIN, TIME, ESCAPE = "-", "*", ">", "~", "\\"
MARKERS = (OPTION, RIGHT, EXPLAIN, TIME, ESCAPE)
HEADER_KEYS = ("slug:", "style:", "shuffle:")
# `shuffle: on` or `off`; the YAML words for a yes or a no are read too.
SWITCH = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}
_SECONDS = re.compile(r"(\d+)\s*s?")


class _Reader:
    """Turns blocks of lines into the data and line map `validate_quiz` takes."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        # Places whose problem the reader words itself, in this format's terms.
        self.own: set[Path | None] = set()

    def problem(self, path: Path, number: int, message: str) -> None:
        self.problems.append(Problem(describe(path), message, number, path))
        self.own.add(path)

    def put(self, data: dict[str, object], path: Path, number: int, value: object) -> None:
        key = str(path[-1])
        if key in data and key in ("time_limit", "slug", "style", "shuffle"):
            self.problem(path, number, f"given twice (first on line {self.lines[path]})")
            return
        self.lines.setdefault(path, number)
        if key in ("description", "question", "explanation") and key in data:
            value = f"{data[key]}\n{value}"
        data[key] = value

    def header(self, block: list[tuple[int, str]], data: dict[str, object]) -> None:
        (number, title), *rest = block
        self.put(data, ("title",), number, _unescape(title))
        for number, line in rest:
            if line.startswith(TIME):
                self.put(data, ("time_limit",), number, _seconds(line))
            elif line.startswith("shuffle:"):
                word = line.split(":", 1)[1].strip()
                if word.lower() in SWITCH:
                    self.put(data, ("shuffle",), number, SWITCH[word.lower()])
                else:
                    self.problem(("shuffle",), number, f'expected "on" or "off", got "{word}"')
            elif line.startswith(HEADER_KEYS):
                key, value = line.split(":", 1)
                self.put(data, (key,), number, value.strip())
            elif line.startswith((OPTION, RIGHT, EXPLAIN)):
                self.problem((), number, "options belong to a question: leave a blank line first")
            else:
                self.put(data, ("description",), number, _unescape(line))

    def question(self, block: list[tuple[int, str]], path: Path) -> dict[str, object]:
        data: dict[str, object] = {}
        options: list[str] = []
        correct: list[int] = []
        self.lines[path] = block[0][0]
        for number, line in block:
            if line.startswith((OPTION, RIGHT)):
                here = (*path, "options", len(options))
                self.lines.setdefault((*path, "options"), number)
                self.lines[here] = number
                if line.startswith(RIGHT):
                    self.lines.setdefault((*path, "correct"), number)
                    correct.append(len(options) + 1)
                options.append(line[1:].strip())
            elif line.startswith(EXPLAIN):
                self.put(data, (*path, "explanation"), number, line[1:].strip())
            elif line.startswith(TIME):
                self.put(data, (*path, "time_limit"), number, _seconds(line))
            elif options or set(data) - {"question"}:  # past the question text
                message = 'expected "- option", "* right option", "> explanation" or "~ 30s"; a blank line starts the next question'
                self.problem(path, number, message)
            else:
                self.put(data, (*path, "question"), number, _unescape(line))
        if options:
            data["options"] = options
        if correct:
            data["correct"] = correct
        elif not options:
            self.own.add((*path, "correct"))  # "options: missing" says it all
        else:
            self.problem(
                (*path, "correct"),
                block[0][0],
                'no option is marked right: start its line with "* "',
            )
        return data


def parse_txt(text: str, *, source: str) -> Quiz:
    """Read and validate a `.txt` quiz; every problem carries its line."""
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line:
            blocks[-1].append((number, line))
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    if not blocks:
        empty = Problem(describe(()), "the file is empty: write the title on the first line")
        raise QuizFileError([empty], source=source)
    reader = _Reader()
    data: dict[str, object] = {}
    reader.header(blocks[0], data)
    data["questions"] = [
        reader.question(block, ("questions", index)) for index, block in enumerate(blocks[1:])
    ]
    reader.lines[()] = reader.lines[("questions",)] = blocks[0][0][0]
    try:
        quiz = validate_quiz(data, source=source, lines=reader.lines)
    except QuizFileError as exc:
        # The reader's own message wins over the validator's for the same place.
        reader.problems += [p for p in exc.problems if p.path not in reader.own]
    if reader.problems:
        problems = sorted(reader.problems, key=lambda p: p.line or 0)
        raise QuizFileError(problems, source=source)
    return quiz


def dump_txt(quiz: Quiz) -> str:
    """The quiz as a `.txt` file; `ValueError` if a text has a blank line in it."""
    common = Counter(q.time_limit_s for q in quiz.questions).most_common(1)[0][0]
    out = [_escape(quiz.title)]
    out += [_escape(line, header=True) for line in _split(quiz.description, "description")]
    out.append(f"slug: {quiz.slug}")
    if common != limits.TIME_LIMIT_DEFAULT:
        out.append(f"{TIME} {common}s")
    if quiz.style is not Style.BUTTONS:
        out.append(f"style: {quiz.style.value}")
    if quiz.shuffle:
        out.append("shuffle: on")
    for number, q in enumerate(quiz.questions, start=1):
        where = f"question {number}"
        out.append("")
        out += [_escape(line) for line in _split(q.text, where)]
        for index, option in enumerate(q.options):
            [text] = _split(option, where) if "\n" not in option else _unwritable(where)
            out.append(f"{RIGHT if index in q.correct else OPTION} {text}")
        out += [f"{EXPLAIN} {line}" for line in _split(q.explanation or "", where)]
        if q.time_limit_s != common:
            out.append(f"{TIME} {q.time_limit_s}s")
    return "\n".join(out) + "\n"


def _seconds(line: str) -> object:
    value = line[1:].strip()
    match = _SECONDS.fullmatch(value)
    return int(match.group(1)) if match else value


def _unescape(line: str) -> str:
    return line[1:] if line.startswith(ESCAPE) else line


def _escape(line: str, *, header: bool = False) -> str:
    special = line.startswith(MARKERS) or (header and line.startswith(HEADER_KEYS))
    return ESCAPE + line if special else line


def _split(text: str, where: str) -> list[str]:
    lines = text.splitlines()
    if "\n".join(lines) != text or any(not line or line != line.strip() for line in lines):
        _unwritable(where)
    return lines


def _unwritable(where: str) -> NoReturn:
    raise ValueError(
        f"{where}: a blank line or spaces around a line cannot be written as .txt; "
        "export as .yaml or .json"
    )
