import json

import pytest

from quizbot.domain.formats.jsondoc import dump_json, json_lines, parse_json
from quizbot.domain.quizfile import QuizFileError

BAD = """{
  "title": "Tiny",
  "titel": "typo",
  "questions": [
    {
      "question": "Two plus two?",
      "options": [
        "3",
        "4",
        "4"
      ],
      "correct": 5
    },
    {"question": "Red planet?", "options": ["Mars", "Venus"], "correct": 1, "time_limit": 2}
  ]
}
"""


def test_every_problem_in_a_json_file_names_its_line() -> None:
    with pytest.raises(QuizFileError) as caught:
        parse_json(BAD, source="bad.json")

    assert str(caught.value).splitlines() == [
        'bad.json: line 3, top level: unknown field "titel" (did you mean "title"?)',
        'bad.json: line 10, question 1 › option 3: same as option 2 ("4")',
        "bad.json: line 12, question 1 › correct: 5 is not an option: there are 3",
        "bad.json: line 14, question 2 › time_limit: 2 seconds, 5 to 600 allowed",
    ]


def test_a_json_syntax_error_names_its_line_and_column() -> None:
    with pytest.raises(QuizFileError) as caught:
        parse_json('{\n  "title": "x",\n  "questions": [,]\n}', source="q.json")

    assert str(caught.value) == "q.json: line 3, column 17: not valid JSON: Expecting value"


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '"just text"',
        "{}",
        '{"a": {"b": [1, {"c": null}]}, "d": [[], {}]}',
        ' \n{"é": "\\u00e9"} ',
    ],
)
def test_the_line_walker_visits_what_the_decoder_reads(text: str) -> None:
    def paths(value: object, path: tuple[object, ...] = ()) -> set[tuple[object, ...]]:
        found = {path}
        items = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, list)
            else []
        )
        for key, item in items:
            found |= paths(item, (*path, key))
        return found

    assert set(json_lines(text)) == paths(json.loads(text))


def test_an_export_is_json_that_keeps_non_ascii_text_readable() -> None:
    quiz = parse_json(
        '{"title": "Café", "questions": [{"question": "Où?", "options": ["Ici", "Là"], "correct": [1, 2]}]}',
        source="q.json",
    )

    text = dump_json(quiz)

    assert "Là" in text
    assert json.loads(text)["questions"][0]["correct"] == [1, 2]
    assert parse_json(text, source="again.json") == quiz
