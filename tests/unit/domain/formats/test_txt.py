from pathlib import Path
from textwrap import dedent

import pytest

from quizbot.domain.formats.txt import dump_txt, parse_txt
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.quizfile import QuizFileError
from quizbot.domain.session import Style


def txt(text: str) -> str:
    return dedent(text).lstrip("\n")


SPACE = """
    Space
    Planets and moons.
    Two lines of description.
    ~ 30s

    Which planet is closest
    to the Sun?
    - Venus
    * Mercury
    - Mars
    > Mercury orbits at about 58 million km.

    Pick a gas giant.
    * Jupiter
    - Mars
    * Saturn
    ~ 10 s
"""


def test_a_typed_quiz_reads_title_description_options_right_answers_and_times() -> None:
    quiz = parse_txt(txt(SPACE), source="space.txt")

    assert (quiz.slug, quiz.title) == ("space", "Space")
    assert quiz.description == "Planets and moons.\nTwo lines of description."
    first, second = quiz.questions
    assert first.text == "Which planet is closest\nto the Sun?"
    assert first.options == ("Venus", "Mercury", "Mars")
    assert first.correct == frozenset({1})
    assert first.explanation == "Mercury orbits at about 58 million km."
    assert first.time_limit_s == 30
    assert second.correct == frozenset({0, 2})
    assert second.explanation is None
    assert second.time_limit_s == 10


@pytest.mark.parametrize(("word", "shuffle"), [("on", True), ("Off", False), ("yes", True)])
def test_shuffle_is_a_switch_under_the_title(word: str, shuffle: bool) -> None:
    quiz = parse_txt(f"Tiny\nshuffle: {word}\n\nQ?\n* a\n- b\n", source="tiny.txt")

    assert quiz.shuffle is shuffle and quiz.description == ""


def test_slug_style_and_windows_line_endings_are_understood() -> None:
    text = "Tiny\r\nslug: tiny-one\r\nstyle: polls\r\n\r\nQ?\r\n* a\r\n- b\r\n"

    quiz = parse_txt(text, source="tiny.txt")

    assert (quiz.slug, quiz.style, quiz.questions[0].options) == (
        "tiny-one",
        Style.POLLS,
        ("a", "b"),
    )


THREE_ERRORS = Path(__file__).parents[3] / "data" / "three-errors.txt"


def test_three_planted_errors_are_all_reported_each_with_its_line() -> None:
    with pytest.raises(QuizFileError) as caught:
        parse_txt(THREE_ERRORS.read_text(encoding="utf-8"), source="three-errors.txt")

    assert str(caught.value).splitlines() == [
        'three-errors.txt: line 3, question 1 › correct: no option is marked right: start its line with "* "',
        'three-errors.txt: line 9, question 2 › option 2: same as option 1 ("jupiter")',
        "three-errors.txt: line 10, question 2 › time_limit: 2 seconds, 5 to 600 allowed",
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "T\n\nQ?\n* " + "x" * 101 + "\n- b\n",
            "line 4, question 1 › option 1: 101 characters, at most 100 allowed",
        ),
        (
            "T\n\n" + "q" * 301 + "\n* a\n- b\n",
            "line 3, question 1 › question: 301 characters, at most 300 allowed",
        ),
        ("T\n\nQ?\n* a\n", "line 4, question 1 › options: 1 given, at least 2 needed"),
        (
            "T\n\nQ?\n" + "".join(f"* o{i}\n" for i in range(13)),
            "line 4, question 1 › options: 13 options given, at most 12 allowed",
        ),
        (
            "T\n\nQ?\n* a\n- b\n> " + "e" * 201 + "\n",
            "line 6, question 1 › explanation: 201 characters, at most 200 allowed",
        ),
        (
            "T\n\nQ?\n* a\n- b\n~ soon\n",
            'line 6, question 1 › time_limit: expected whole seconds, got text ("soon")',
        ),
        (
            "T\n\nQ?\n* a\n- b\n~ 20s\n~ 30s\n",
            "line 7, question 1 › time_limit: given twice (first on line 6)",
        ),
        ("T\n\n- a\n* b\n", "line 3, question 1 › question: missing"),
        ("T\n\nQ?\n", "line 3, question 1 › options: missing: list 2 to 12 answer options"),
        ("T\n", "line 1, questions: the list is empty, at least 1 question needed"),
        ("\n \n", "top level: the file is empty: write the title on the first line"),
        (
            "T\n\nQ?\n* a\n- c\nb\n",
            'line 6, question 1: expected "- option", "* right option", "> explanation" or "~ 30s"; a blank line starts the next question',
        ),
        (
            "T\n- a\n\nQ?\n* a\n- b\n",
            "line 2, top level: options belong to a question: leave a blank line first",
        ),
        ("T\n~ 700s\n\nQ?\n* a\n- b\n", "line 2, time_limit: 700 seconds, 5 to 600 allowed"),
        (
            "T\nstyle: cards\n\nQ?\n* a\n- b\n",
            "line 2, style: expected buttons or polls, got 'cards'",
        ),
        (
            "T\nshuffle: maybe\n\nQ?\n* a\n- b\n",
            'line 2, shuffle: expected "on" or "off", got "maybe"',
        ),
    ],
)
def test_each_mistake_is_reported_with_its_line(text: str, error: str) -> None:
    with pytest.raises(QuizFileError) as caught:
        parse_txt(text, source="quiz.txt")

    assert [str(problem) for problem in caught.value.problems] == [error]


def quiz_with(text: str, option: str = "a", description: str = "") -> Quiz:
    question = Question(text, (option, "b"), frozenset({0}), "why", 20)
    return Quiz("q", "T", description, (question,))


@pytest.mark.parametrize("line", ["- minus", "* star", "> quote", "~ 30s", "\\ back", "slug: x"])
def test_lines_that_look_like_markers_survive_export_and_reading(line: str) -> None:
    quiz = quiz_with(f"Which?\n{line}", option=line, description=line)

    assert parse_txt(dump_txt(quiz), source="q.txt") == quiz


@pytest.mark.parametrize("text", ["one\n\ntwo", " indented\nline", "a\n", "a\u2028b"])
def test_a_text_the_format_cannot_hold_is_refused_on_export(text: str) -> None:
    with pytest.raises(ValueError, match=r"cannot be written as \.txt"):
        dump_txt(quiz_with(text))
