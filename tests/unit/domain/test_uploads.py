"""What a quiz file may be before its download, and how the outcome is worded."""

from __future__ import annotations

import pytest

from quizbot.domain import limits, uploads
from quizbot.domain.problems import Problem


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("quiz.txt", "txt"),
        ("Quiz.YAML", "yaml"),
        ("a.b.yml", "yaml"),
        ("q.json", "json"),
        ("q.pdf", None),
        ("txt", None),
        ("", None),
    ],
)
def test_the_format_is_the_one_the_extension_names(name: str, fmt: str | None) -> None:
    assert uploads.file_format(name) == fmt


def test_a_file_over_a_megabyte_or_of_another_kind_is_refused_before_download() -> None:
    assert uploads.refusal("q.txt", uploads.MAX_BYTES) is None
    assert uploads.refusal("q.txt", None) is None
    assert "over 1 MB" in (uploads.refusal("q.txt", uploads.MAX_BYTES + 1) or "")
    assert "none of those" in (uploads.refusal("<b>.pdf", 10) or "")
    assert "&lt;b&gt;.pdf" in (uploads.refusal("<b>.pdf", 10) or "")


def test_every_problem_is_listed_with_its_line() -> None:
    found = [Problem("question 1 › correct", "no option", 3), Problem("title", "missing", 1)]
    [message] = uploads.problems("q.txt", found)
    assert message.splitlines()[1:] == [
        "• line 3, question 1 › correct: no option",
        "• line 1, title: missing",
    ]


def test_many_problems_are_split_over_messages_within_telegrams_limit() -> None:
    found = [Problem(f"question {n} › options", "x" * 150, n) for n in range(1, 101)]
    messages = uploads.problems("q.txt", found)
    assert len(messages) > 1
    assert all(len(m) <= limits.TEXT_MAX for m in messages)
    listed = [line for m in messages for line in m.splitlines() if line.startswith("• ")]
    assert len(listed) == 100


def test_an_imported_quiz_gets_play_buttons_only_when_the_bots_name_is_known() -> None:
    text, keyboard = uploads.imported("Space & stars", "space", 12, "quiz_bot")
    assert "Space &amp; stars" in text and "12 questions" in text and "space" in text
    assert keyboard is not None
    assert uploads.imported("Space", "space", 1, None)[1] is None


@pytest.mark.parametrize(
    ("caption", "slug"),
    [
        ("edit space", "space"),
        ("/edit Space-2", "space-2"),
        ("  EDIT  world-capitals ", "world-capitals"),
        ("", None),
        ("my new quiz", None),
        ("edit", None),
        ("edit two words", None),
        ("edit sp@ce", None),
    ],
)
def test_a_caption_edit_slug_names_the_quiz_a_file_edits(caption: str, slug: str | None) -> None:
    assert uploads.edit_target(caption) == slug


def test_an_edit_of_a_played_quiz_says_it_became_a_copy() -> None:
    text, _ = uploads.imported("New", "space-2", 3, None, message=uploads.COPIED, old="Space")
    assert text.startswith("<b>Space</b> has been played") and "space-2" in text
