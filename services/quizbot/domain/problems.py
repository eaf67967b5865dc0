"""Where a problem in a quiz file is: a place in the data, and a line in the file.

Each reader (YAML, JSON, `.txt`) decodes a file to plain data and a map from
each place in it to its line; validation reports against places, and the
map turns them into lines, so every format tells a host the line to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TOP = "top level"
SEP = " › "

# A place in the decoded data: ("questions", 3, "options", 1) is question 4's option 2.
Path = tuple[str | int, ...]
# Where each place starts in the file (1-based lines); a reader fills it.
Lines = Mapping[Path, int]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a quiz file, e.g. `line 12, question 4 › options`."""

    location: str
    message: str
    line: int | None = None
    path: Path | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = self.location if self.line is None else f"line {self.line}, {self.location}"
        return f"{where}: {self.message}"


class QuizFileError(ValueError):
    """A quiz file that cannot be imported; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem], *, source: str) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


def describe(path: Path) -> str:
    """How a place in the data reads to a host: `question 2 › option 3`."""
    if not path:
        return TOP
    if path[0] != "questions" or len(path) == 1:
        return str(path[0])
    words = [f"question {int(path[1]) + 1}"]
    if len(path) >= 3:
        words.append(f"option {int(path[3]) + 1}" if len(path) >= 4 else str(path[2]))
    return SEP.join(words)


def line_of(lines: Lines, path: Path) -> int | None:
    """The line of `path`, else of its nearest ancestor that has one."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


class Report:
    """The problems found so far, each placed by its path and, when known, its line."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, *, location: str | None = None) -> None:
        """Note a problem at `path`; `location` words the place otherwise than `describe`."""
        where = describe(path) if location is None else location
        self.problems.append(Problem(where, message, line_of(self.lines, path), path))
