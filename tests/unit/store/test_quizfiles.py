"""Quiz files in all three formats: same content hash whatever the format (no I/O but the samples)."""

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizbot.domain import limits
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.quizfile import QuizFileError
from quizbot.domain.session import Style
from quizbot.store.quizfiles import FORMATS, export_quiz, format_of, load_quiz_file, parse_quiz
from quizbot.store.quizzes import sample_files

SAMPLES = sample_files()


@pytest.mark.parametrize("shuffle", [False, True], ids=["as-written", "shuffled"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_each_sample_exported_and_read_again_keeps_its_content_hash(
    sample: Path, fmt: str, shuffle: bool
) -> None:
    quiz = dataclasses.replace(load_quiz_file(sample), shuffle=shuffle)

    again = parse_quiz(export_quiz(quiz, fmt), fmt, source=f"export.{fmt}")

    assert again.content_hash() == quiz.content_hash()
    assert again == quiz
    assert ("shuffle" in export_quiz(quiz, fmt)) is shuffle


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.txt", "txt"), ("a.TXT", "txt"), ("a.yaml", "yaml"), ("a.yml", "yaml"), ("a.json", "json")],
)
def test_the_extension_names_the_format(name: str, fmt: str) -> None:
    assert format_of(Path(name)) == fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_byte_order_mark_at_the_start_is_ignored(fmt: str) -> None:
    quiz = load_quiz_file(SAMPLES[0])

    again = parse_quiz("\ufeff" + export_quiz(quiz, fmt), fmt, source=f"bom.{fmt}")

    assert again == quiz


BAD_YAML = """\
title: Tiny
questions:
  - question: Two plus two?
    options:
      - "3"
      - "4"
      - "4"
    correct: 5
  - question: Red planet?
    options: [Mars, Venus]
    explaination: it is red
"""


def test_every_problem_in_a_yaml_file_names_its_line() -> None:
    with pytest.raises(QuizFileError) as caught:
        parse_quiz(BAD_YAML, "yaml", source="bad.yaml")

    assert str(caught.value).splitlines() == [
        'bad.yaml: line 7, question 1 › option 3: same as option 2 ("4")',
        "bad.yaml: line 8, question 1 › correct: 5 is not an option: there are 3",
        "bad.yaml: line 9, question 2 › correct: missing: the number of the right option, counting from 1",
        'bad.yaml: line 11, question 2: unknown field "explaination" (did you mean "explanation"?)',
    ]


def test_a_yaml_syntax_error_names_its_line_and_column() -> None:
    with pytest.raises(QuizFileError) as caught:
        parse_quiz("title: x\nquestions: [\n", "yaml", source="q.yaml")

    [problem] = caught.value.problems
    assert (problem.line, problem.location) == (3, "column 1")
    assert problem.message.startswith("not valid YAML")


# Texts as a host types them: one or more lines, some starting like a .txt marker.
LINE = (
    st.text(
        st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=30
    )
    .map(str.strip)
    .filter(bool)
)
MARKED = st.builds(
    lambda m, t: m + t, st.sampled_from(["", "- ", "* ", "> ", "~ ", "\\", "slug: "]), LINE
)
TEXT = st.lists(MARKED, min_size=1, max_size=3).map("\n".join).filter(lambda t: len(t) <= 100)


@st.composite
def questions(draw: st.DrawFn) -> Question:
    options = draw(
        st.lists(
            MARKED.filter(lambda t: len(t) <= limits.OPTION_MAX),
            min_size=2,
            max_size=limits.OPTIONS_MAX,
            unique_by=str.casefold,
        )
    )
    correct = draw(st.sets(st.integers(0, len(options) - 1), min_size=1))
    return Question(
        text=draw(TEXT),
        options=tuple(options),
        correct=frozenset(correct),
        explanation=draw(st.none() | TEXT),
        time_limit_s=draw(st.integers(limits.TIME_LIMIT_MIN, limits.TIME_LIMIT_MAX)),
    )


QUIZZES = st.builds(
    Quiz,
    slug=st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10})?", fullmatch=True),
    title=MARKED,
    description=st.just("") | TEXT,
    questions=st.lists(questions(), min_size=1, max_size=5).map(tuple),
    style=st.sampled_from(Style),
    shuffle=st.booleans(),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(quiz=QUIZZES, fmt=st.sampled_from(FORMATS))
def test_any_quiz_exported_and_read_again_is_the_same_quiz(quiz: Quiz, fmt: str) -> None:
    again = parse_quiz(export_quiz(quiz, fmt), fmt, source=f"q.{fmt}")

    assert again == quiz
    assert again.content_hash() == quiz.content_hash()


FORMAT_DOC = Path(__file__).parents[3] / "docs" / "quiz-format.md"


def test_the_format_docs_show_the_errors_their_bad_example_gives() -> None:
    doc = FORMAT_DOC.read_text(encoding="utf-8")
    bad = re.search(r"```yaml bad.yaml\n(.*?)```", doc, re.S)
    shown = re.search(r"gives:\n\n```\n(.*?)```", doc, re.S)
    assert bad and shown

    with pytest.raises(QuizFileError) as caught:
        parse_quiz(bad.group(1), "yaml", source="bad.yaml")

    assert str(caught.value).splitlines() == shown.group(1).splitlines()


def test_the_txt_example_in_the_format_docs_is_the_yaml_example() -> None:
    doc = FORMAT_DOC.read_text(encoding="utf-8")
    [txt] = re.findall(r"```txt\n(.*?)```", doc, re.S)
    yaml_text = re.findall(r"```yaml\n(.*?)```", doc, re.S)[0]

    assert parse_quiz(txt, "txt", source="doc.txt") == parse_quiz(
        yaml_text, "yaml", source="doc.yaml"
    )
