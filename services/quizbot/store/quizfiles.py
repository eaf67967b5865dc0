"""Quiz files in and out in any of the three formats, chosen by extension.

`.txt` and `.json` are read by the pure readers in `quizbot.domain.formats`;
YAML needs PyYAML, so its reader is here. It composes the node tree once,
builds the data from it with the safe constructor and takes each node's
line from the same tree, so a problem names the line it is on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from quizbot.domain.formats.data import quiz_data
from quizbot.domain.formats.jsondoc import dump_json, parse_json
from quizbot.domain.formats.txt import dump_txt, parse_txt
from quizbot.domain.problems import Lines, Problem, QuizFileError
from quizbot.domain.problems import Path as DataPath
from quizbot.domain.quiz import Quiz
from quizbot.domain.quizfile import validate_quiz

FORMATS = ("txt", "yaml", "json")
_SUFFIXES = {".txt": "txt", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def format_of(path: Path) -> str:
    """The format a file's extension names; YAML, today's format, for any other."""
    return _SUFFIXES.get(path.suffix.lower(), "yaml")


def parse_quiz(text: str, fmt: str, *, source: str) -> Quiz:
    """Read and validate quiz text in `fmt`; `QuizFileError` lists every problem by line."""
    readers: dict[str, Callable[..., Quiz]] = {
        "txt": parse_txt,
        "yaml": parse_yaml,
        "json": parse_json,
    }
    # Notepad and some phone editors start a UTF-8 file with a byte-order mark.
    return readers[fmt](text.removeprefix("\ufeff"), source=source)


def export_quiz(quiz: Quiz, fmt: str) -> str:
    """The quiz as file text in `fmt`; reading it back gives the same content hash."""
    writers: dict[str, Callable[[Quiz], str]] = {
        "txt": dump_txt,
        "yaml": dump_yaml,
        "json": dump_json,
    }
    return writers[fmt](quiz)


def load_quiz_file(path: Path) -> Quiz:
    """Read and validate a quiz file in the format its extension names."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(location="file", message=f"cannot read: {exc}")
        raise QuizFileError([problem], source=source) from exc
    return parse_quiz(text, format_of(path), source=source)


def parse_yaml(text: str, *, source: str) -> Quiz:
    """Decode and validate a YAML quiz; every problem carries its line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise QuizFileError([_syntax_problem(exc)], source=source) from exc
    finally:
        loader.dispose()
    lines: dict[DataPath, int] = {}
    if node is not None:
        _node_lines(node, (), lines)
    return validate_quiz(data, source=source, lines=lines)


def dump_yaml(quiz: Quiz) -> str:
    """The quiz as a YAML file in the field order of docs/quiz-format.md."""
    return yaml.safe_dump(
        quiz_data(quiz), allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )


def _node_lines(node: yaml.Node, path: DataPath, lines: dict[DataPath, int]) -> Lines:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                # At the key's line: `options:` is where a host looks, not the list below it.
                lines[(*path, key.value)] = key.start_mark.line + 1
                _node_lines(value, (*path, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, (*path, index), lines)
    return lines


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return Problem(location="file", message=f"not valid YAML: {reason}")
    return Problem(f"column {mark.column + 1}", f"not valid YAML: {reason}", mark.line + 1)
