import copy
import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from quizbot.domain import limits
from quizbot.domain.quizfile import Problem, QuizFileError, derive_slug, validate_quiz
from quizbot.domain.session import Style

Data = dict[str, Any]


def valid() -> Data:
    return {
        "title": "Tiny Quiz",
        "questions": [
            {"question": "Two plus two?", "options": ["3", "4", "5"], "correct": 2},
            {"question": "Red planet?", "options": ["Mars", "Venus"], "correct": [1]},
        ],
    }


def problems_of(data: object) -> list[Problem]:
    with pytest.raises(QuizFileError) as caught:
        validate_quiz(data, source="quiz.yaml")
    return caught.value.problems


def q(data: Data, index: int = 0) -> Data:
    question: Data = data["questions"][index]
    return question


def test_a_valid_quiz_converts_the_1_based_correct_option_to_0_based() -> None:
    quiz = validate_quiz(valid(), source="quiz.yaml")

    assert quiz.slug == "tiny-quiz"
    assert quiz.questions[0].correct == frozenset({1})
    assert quiz.questions[0].options == ("3", "4", "5")
    assert quiz.questions[1].correct == frozenset({0})
    assert quiz.questions[0].time_limit_s == limits.TIME_LIMIT_DEFAULT


def test_style_names_how_live_games_ask_and_defaults_to_buttons() -> None:
    plain = validate_quiz(valid(), source="quiz.yaml")
    polls = validate_quiz({**valid(), "style": "polls"}, source="quiz.yaml")
    assert (plain.style, polls.style) == (Style.BUTTONS, Style.POLLS)
    # The default leaves the content hash of files written before the key as it was.
    explicit = validate_quiz({**valid(), "style": "buttons"}, source="quiz.yaml")
    assert explicit.content_hash() == plain.content_hash() != polls.content_hash()
    assert [str(p) for p in problems_of({**valid(), "style": "cards"})] == [
        "style: expected buttons or polls, got 'cards'"
    ]


def test_shuffle_is_true_or_false_and_defaults_to_the_written_order() -> None:
    plain = validate_quiz(valid(), source="quiz.yaml")
    shuffled = validate_quiz({**valid(), "shuffle": True}, source="quiz.yaml")
    assert (plain.shuffle, shuffled.shuffle) == (False, True)
    explicit = validate_quiz({**valid(), "shuffle": False}, source="quiz.yaml")
    assert explicit.content_hash() == plain.content_hash() != shuffled.content_hash()
    assert [str(p) for p in problems_of({**valid(), "shuffle": "yes"})] == [
        "shuffle: expected true or false, got 'yes'"
    ]


def test_time_limit_defaults_from_the_quiz_and_a_question_can_override_it() -> None:
    data = valid()
    data["time_limit"] = 45
    q(data, 1)["time_limit"] = 5

    quiz = validate_quiz(data, source="quiz.yaml")

    assert [question.time_limit_s for question in quiz.questions] == [45, 5]


def test_texts_are_stripped_and_an_empty_explanation_means_none() -> None:
    data = valid()
    q(data)["question"] = "  Two plus two?\n"
    q(data)["explanation"] = "   "

    question = validate_quiz(data, source="quiz.yaml").questions[0]

    assert question.text == "Two plus two?"
    assert question.explanation is None


def test_integer_options_are_accepted_as_text() -> None:
    data = valid()
    q(data)["options"] = [1969, 1972]
    q(data)["correct"] = 1

    assert validate_quiz(data, source="quiz.yaml").questions[0].options == ("1969", "1972")


def test_json_data_validates_like_yaml() -> None:
    text = json.dumps(valid())

    assert validate_quiz(json.loads(text), source="quiz.json") == validate_quiz(
        yaml.safe_load(text), source="quiz.yaml"
    )


@pytest.mark.parametrize(
    ("field", "length", "ok"),
    [
        ("title", limits.TITLE_MAX, True),
        ("title", limits.TITLE_MAX + 1, False),
        ("description", limits.DESCRIPTION_MAX, True),
        ("description", limits.DESCRIPTION_MAX + 1, False),
    ],
)
def test_quiz_text_length_limits(field: str, length: int, ok: bool) -> None:
    data = valid()
    data[field] = "x" * length
    data["slug"] = "tiny"
    if ok:
        validate_quiz(data, source="quiz.yaml")
    else:
        assert problems_of(data) == [
            Problem(field, f"{length} characters, at most {length - 1} allowed")
        ]


@pytest.mark.parametrize(
    ("field", "length", "ok"),
    [
        ("question", limits.POLL_QUESTION_MAX, True),
        ("question", limits.POLL_QUESTION_MAX + 1, False),
        ("explanation", limits.EXPLANATION_MAX, True),
        ("explanation", limits.EXPLANATION_MAX + 1, False),
    ],
)
def test_question_text_length_limits(field: str, length: int, ok: bool) -> None:
    data = valid()
    q(data, 1)[field] = "x" * length
    if ok:
        validate_quiz(data, source="quiz.yaml")
    else:
        assert problems_of(data) == [
            Problem(f"question 2 › {field}", f"{length} characters, at most {length - 1} allowed")
        ]


@pytest.mark.parametrize(
    ("mutate", "location", "message"),
    [
        # options: count, length, uniqueness, types
        (
            lambda d: q(d).update(options=[f"o{i}" for i in range(13)]),
            "question 1 › options",
            "13 options given, at most 12 allowed",
        ),
        (
            lambda d: q(d).update(options=["only"], correct=1),
            "question 1 › options",
            "1 given, at least 2 needed",
        ),
        (
            lambda d: q(d).update(options=["a", "x" * 400]),
            "question 1 › option 2",
            "400 characters, at most 100 allowed",
        ),
        (lambda d: q(d).update(options=["a", " "]), "question 1 › option 2", "is empty"),
        (
            lambda d: q(d).update(options=["Paris", "Lyon", "paris "]),
            "question 1 › option 3",
            'same as option 1 ("paris")',
        ),
        (
            lambda d: q(d).update(options=["a", True, "c"]),
            "question 1 › option 2",
            'expected text, got true/false (true); put it in quotes, like "yes" or "3.14"',
        ),
        (
            lambda d: q(d).update(options="a, b"),
            "question 1 › options",
            'expected a list, got text ("a, b")',
        ),
        (
            lambda d: q(d).pop("options"),
            "question 1 › options",
            "missing: list 2 to 12 answer options",
        ),
        # correct: 1-based, in range, unique, numbers
        (
            lambda d: q(d).update(correct=4),
            "question 1 › correct",
            "4 is not an option: there are 3",
        ),
        (
            lambda d: q(d).update(correct=0),
            "question 1 › correct",
            "options are counted from 1, so 0 is not an option",
        ),
        (
            lambda d: q(d).update(correct=-1),
            "question 1 › correct",
            "-1 is not an option: there are 3",
        ),
        (
            lambda d: q(d).update(correct=[]),
            "question 1 › correct",
            "the list is empty, at least one right option needed",
        ),
        (lambda d: q(d).update(correct=[2, 2]), "question 1 › correct", "2 is listed twice"),
        (
            lambda d: q(d).update(correct="4"),
            "question 1 › correct",
            'expected an option number, got text ("4") (use the option\'s number, 2, not its text)',
        ),
        (
            lambda d: q(d).update(correct=True),
            "question 1 › correct",
            "expected an option number, got true/false (true)",
        ),
        (
            lambda d: q(d).pop("correct"),
            "question 1 › correct",
            "missing: the number of the right option, counting from 1",
        ),
        # time limits
        (
            lambda d: q(d).update(time_limit=4),
            "question 1 › time_limit",
            "4 seconds, 5 to 600 allowed",
        ),
        (
            lambda d: q(d).update(time_limit=601),
            "question 1 › time_limit",
            "601 seconds, 5 to 600 allowed",
        ),
        (
            lambda d: d.update(time_limit=2.5),
            "time_limit",
            "expected whole seconds, got a number (2.5)",
        ),
        # missing fields, bad types, typos
        (lambda d: d.pop("title"), "title", "missing"),
        (lambda d: d.update(title=42), "title", "expected text, got a number (42)"),
        (lambda d: q(d).pop("question"), "question 1 › question", "missing"),
        (lambda d: d.pop("questions"), "questions", "missing: a quiz needs a list of questions"),
        (
            lambda d: d.update(questions=[]),
            "questions",
            "the list is empty, at least 1 question needed",
        ),
        (
            lambda d: d["questions"].append("What?"),
            "question 3",
            'expected a mapping with question and options, got text ("What?")',
        ),
        (
            lambda d: d.update(titel="x"),
            "top level",
            'unknown field "titel" (did you mean "title"?)',
        ),
        (
            lambda d: q(d).update(answer=1),
            "question 1",
            'unknown field "answer" (allowed: question, options, correct, explanation, time_limit)',
        ),
        # slugs
        (
            lambda d: d.update(slug="World_Capitals"),
            "slug",
            '"World_Capitals" must be lowercase a-z, 0-9 and single dashes, like "world-capitals"',
        ),
        (lambda d: d.update(slug="a" * 41), "slug", "41 characters, at most 40 allowed"),
        (
            lambda d: d.update(title="Викторина"),
            "slug",
            "the title has no latin letters or digits; add a slug",
        ),
    ],
)
def test_each_mistake_is_reported_with_its_location(
    mutate: Callable[[Data], object], location: str, message: str
) -> None:
    data = valid()
    mutate(data)

    assert problems_of(data) == [Problem(location, message)]


def test_too_many_questions_is_reported() -> None:
    data = valid()
    data["questions"] = [copy.deepcopy(q(data)) for _ in range(limits.QUESTIONS_MAX + 1)]

    assert problems_of(data) == [Problem("questions", "101 given, at most 100 allowed")]


def test_exactly_the_maximum_of_questions_and_options_is_fine() -> None:
    data = valid()
    q(data)["options"] = [f"option {i}" for i in range(limits.OPTIONS_MAX)]
    q(data)["correct"] = limits.OPTIONS_MAX
    data["questions"] = [copy.deepcopy(q(data)) for _ in range(limits.QUESTIONS_MAX)]

    quiz = validate_quiz(data, source="quiz.yaml")

    assert len(quiz.questions) == limits.QUESTIONS_MAX
    assert quiz.questions[-1].correct == frozenset({limits.OPTIONS_MAX - 1})


@pytest.mark.parametrize("data", [None, [], "title: x", 3])
def test_a_document_that_is_not_a_mapping_is_one_problem(data: object) -> None:
    [problem] = problems_of(data)

    assert problem.location == "top level"
    assert problem.message.startswith("expected a mapping with title and questions")


def test_every_problem_is_reported_at_once_and_listed_one_per_line() -> None:
    data = valid()
    data["titel"] = "typo"
    q(data)["options"] = [f"o{i}" for i in range(13)]
    q(data, 1)["correct"] = 3
    q(data, 1)["time_limit"] = 1000

    with pytest.raises(QuizFileError) as caught:
        validate_quiz(data, source="samples/bad.yaml")

    assert str(caught.value).splitlines() == [
        'samples/bad.yaml: top level: unknown field "titel" (did you mean "title"?)',
        "samples/bad.yaml: question 1 › options: 13 options given, at most 12 allowed",
        "samples/bad.yaml: question 2 › correct: 3 is not an option: there are 2",
        "samples/bad.yaml: question 2 › time_limit: 1000 seconds, 5 to 600 allowed",
    ]
    assert caught.value.source == "samples/bad.yaml"


def test_a_loader_can_raise_a_syntax_error_as_a_problem() -> None:
    error = QuizFileError(
        [Problem("line 3, column 7", "mapping values are not allowed here")], source="q.yaml"
    )

    assert str(error) == "q.yaml: line 3, column 7: mapping values are not allowed here"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("World Capitals", "world-capitals"),
        ("  Café Crème: Quiz #2!  ", "cafe-creme-quiz-2"),
        ("C++ & Rust -- 2024", "c-rust-2024"),
        ("A" * 39 + " b", "a" * 39),
        ("Викторина", ""),
    ],
)
def test_slug_derived_from_title(title: str, slug: str) -> None:
    assert derive_slug(title) == slug


def test_derived_slug_fits_the_play_deep_link() -> None:
    slug = derive_slug("word " * 60)

    assert len(slug) <= limits.SLUG_MAX
    assert len(limits.PLAY_PAYLOAD_PREFIX + slug) <= limits.START_PAYLOAD_MAX


SAMPLE_DIR = resources.files("quizbot").joinpath("samples")
SAMPLES = sorted(entry.name for entry in SAMPLE_DIR.iterdir() if entry.name.endswith(".yaml"))


def test_three_sample_quizzes_ship_with_the_package() -> None:
    assert len(SAMPLES) >= 3


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_quiz_is_valid_and_varied(name: str) -> None:
    text = SAMPLE_DIR.joinpath(name).read_text(encoding="utf-8")

    quiz = validate_quiz(yaml.safe_load(text), source=name)

    assert len(quiz.questions) >= 10
    assert quiz.slug == name.removesuffix(".yaml")
    assert all(question.explanation for question in quiz.questions)
    first_correct = {min(question.correct) for question in quiz.questions}
    assert len(first_correct) >= 3, "the right answer should not always be in the same place"


FORMAT_DOC = Path(__file__).parents[3] / "docs" / "quiz-format.md"


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_the_examples_in_the_format_docs_are_valid(kind: str) -> None:
    blocks = re.findall(rf"```{kind}\n(.*?)```", FORMAT_DOC.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        data = yaml.safe_load(block) if kind == "yaml" else json.loads(block)
        assert validate_quiz(data, source=str(FORMAT_DOC)).title == "World Capitals"
