"""/myquizzes as the owner sees it, and its buttons' callback data."""

from __future__ import annotations

import pytest

from quizbot.domain import limits, myquizzes
from quizbot.domain.callbacks import MyQuizData, decode_callback

QUIZ = myquizzes.OwnedQuiz(41, "space-2", "Space & stars", 12, public=False)


@pytest.mark.parametrize("action", sorted("odDyt"))
def test_every_button_round_trips_through_its_callback_data(action: str) -> None:
    data = MyQuizData(action, 2**31 - 1)
    assert decode_callback(data.encode()) == data
    assert len(data.encode().encode()) <= limits.CALLBACK_DATA_MAX_BYTES


@pytest.mark.parametrize("data", ["m:x:1", "m:o:01", "m:o:-1", "m:o:2147483648", "m:o:", "m:D"])
def test_forged_buttons_decode_to_nothing(data: str) -> None:
    assert decode_callback(data) is None


def test_the_list_has_a_button_per_quiz_and_says_so_when_empty() -> None:
    text, keyboard = myquizzes.quiz_list([QUIZ])
    assert "Your quizzes" in text
    assert keyboard == {
        "inline_keyboard": [[{"text": "⚙️ Space & stars", "callback_data": "m:o:41"}]]
    }
    assert myquizzes.quiz_list([]) == (myquizzes.NONE_YET, None)


def test_the_card_plays_starts_in_a_group_shares_exports_edits_shows_stats_and_deletes() -> None:
    link = myquizzes.share_link("quiz_bot", "A" * limits.SHARE_TOKEN_LEN)
    text, keyboard = myquizzes.quiz_card(QUIZ, link, "quiz_bot")
    assert "Space &amp; stars" in text and link in text and "/stats space-2" in text
    rows = keyboard["inline_keyboard"]
    assert isinstance(rows, list)
    flat = [b for row in rows for b in row]
    assert flat[0]["url"] == "https://t.me/quiz_bot?start=play-space-2"
    assert flat[1]["url"] == "https://t.me/quiz_bot?startgroup=play-space-2"
    assert flat[2]["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fquiz_bot")
    assert [b.get("callback_data") for b in flat[3:]] == [
        "m:y:41",
        "m:t:41",
        "m:e:41",
        "m:s:41",
        "m:d:41",
    ]


def test_a_delete_is_asked_first() -> None:
    text, keyboard = myquizzes.confirm_delete(QUIZ)
    assert "Delete <b>Space &amp; stars</b>?" in text
    assert keyboard == {
        "inline_keyboard": [[{"text": "🗑 Yes, delete it", "callback_data": "m:D:41"}]]
    }
