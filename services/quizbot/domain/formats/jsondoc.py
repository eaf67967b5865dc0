"""Quiz files in JSON, with the line of every value for the error messages.

The standard library's decoder gives no positions, so `json_lines` walks
the text once more, after `json.loads` has accepted it, using the decoder
itself for each scalar and key.
"""

from __future__ import annotations

import bisect
import json
import re

from quizbot.domain.formats.data import quiz_data
from quizbot.domain.problems import Lines, Path, Problem, QuizFileError
from quizbot.domain.quiz import Quiz
from quizbot.domain.quizfile import validate_quiz

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def parse_json(text: str, *, source: str) -> Quiz:
    """Decode and validate a JSON quiz; every problem carries its line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(f"column {exc.colno}", f"not valid JSON: {exc.msg}", exc.lineno)
        raise QuizFileError([problem], source=source) from exc
    return validate_quiz(data, source=source, lines=json_lines(text))


def dump_json(quiz: Quiz) -> str:
    """The quiz as a JSON file, two-space indented, non-ASCII kept as is."""
    return json.dumps(quiz_data(quiz), ensure_ascii=False, indent=2) + "\n"


def json_lines(text: str) -> Lines:
    """Map each path of a valid JSON document to its 1-based line.

    A member is placed at its key's line: that is where a host looks for
    `"options": [...]`, even when the value starts on the next line.
    """
    starts = [0] + [match.end() for match in re.finditer("\n", text)]
    lines: dict[Path, int] = {}

    def line(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    def skip(pos: int) -> int:
        match = _SPACE.match(text, pos)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def value(pos: int, path: Path) -> int:
        pos = skip(pos)
        lines.setdefault(path, line(pos))
        opening = text[pos]
        if opening not in "[{":
            return _DECODER.raw_decode(text, pos)[1]
        closing = "]" if opening == "[" else "}"
        pos, index = skip(pos + 1), 0
        while text[pos] != closing:
            if opening == "{":
                key, after = _DECODER.raw_decode(text, pos)
                lines[(*path, key)] = line(pos)
                pos = value(skip(after) + 1, (*path, key))  # past the ':'
            else:
                pos = value(pos, (*path, index))
                index += 1
            pos = skip(pos)
            if text[pos] == ",":
                pos = skip(pos + 1)
        return pos + 1

    value(0, ())
    return lines
