import json
from pathlib import Path

from quizbot.domain import limits
from quizbot.domain.replies import QuizListing
from quizbot.domain.results import results_keyboard
from quizbot.domain.sharing import INLINE_RESULTS_MAX, inline_results, quiz_card_keyboard

SPEC = Path(__file__).resolve().parents[3] / "services/quizbot/sim/api/spec/api.min.json"


def test_a_quiz_card_plays_alone_or_adds_the_bot_to_a_group() -> None:
    keyboard = quiz_card_keyboard("space", "quiz_bot")

    assert keyboard == {
        "inline_keyboard": [
            [{"text": "▶️ Play", "url": "https://t.me/quiz_bot?start=play-space"}],
            [{"text": "👥 Play in a group", "url": "https://t.me/quiz_bot?startgroup=play-space"}],
        ]
    }


def test_inline_results_are_articles_telegram_accepts() -> None:
    quizzes = [QuizListing("space", "Space & <Stars>", 12), QuizListing("x" * 40, "T" * 128, 1)]

    results = inline_results(quizzes, "quiz_bot")

    article = json.loads(SPEC.read_text())["types"]["InlineQueryResultArticle"]
    known = {f["name"] for f in article["fields"]}
    required = {f["name"] for f in article["fields"] if f["required"]}
    for result in results:
        assert required <= set(result) <= known
        assert 1 <= len(str(result["id"]).encode()) <= 64
    first = results[0]["input_message_content"]
    assert first == {
        "message_text": "🎲 <b>Space &amp; &lt;Stars&gt;</b>\n12 questions — who knows more? Tap ▶️ Play.",
        "parse_mode": "HTML",
    }
    assert len(str(results[1]["title"])) <= 64


def test_inline_results_stop_at_telegrams_fifty() -> None:
    many = [QuizListing(f"q{i}", f"Quiz {i}", 3) for i in range(80)]
    assert len(inline_results(many, "quiz_bot")) == INLINE_RESULTS_MAX == 50


def test_results_carry_a_share_button_that_posts_the_quiz_card_anywhere() -> None:
    rows = results_keyboard(7, "space")["inline_keyboard"]
    assert rows[-1] == [{"text": "📨 Share", "switch_inline_query": "space"}]  # type: ignore[index]
    assert len("space") <= limits.SLUG_MAX


def test_one_card_per_slug_since_a_result_id_is_unique_in_an_answer() -> None:
    quizzes = [QuizListing("space", "First", 3), QuizListing("moon", "Moon", 2),
               QuizListing("space", "Second", 5)]  # fmt: skip

    results = inline_results(quizzes, "quiz_bot")

    assert [(r["id"], r["title"]) for r in results] == [("space", "First"), ("moon", "Moon")]
