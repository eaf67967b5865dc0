import pytest

from quizbot.domain import limits
from quizbot.domain.formatting import utf16_len
from quizbot.domain.language import LANGUAGES
from quizbot.domain.statistics import QuestionFigures, QuizFigures, stats_text
from quizbot.locales import translator


def figures(questions: int, text: str = "Which one?") -> QuizFigures:
    return QuizFigures(
        slug="caps",
        title="Caps <&>",
        plays=3,
        players=40,
        participations=50,
        completed=45,
        average_score=212.4,
        questions=tuple(
            QuestionFigures(p, text, 50, 0.625, 7.25, 1, "Rome", 12) for p in range(questions)
        ),
    )


def test_the_reply_shows_every_figure() -> None:
    assert stats_text(figures(1)).splitlines() == [
        "📈 <b>Caps &lt;&amp;&gt;</b> · /play caps",
        "Plays: 3 · Players: 40",
        "Completed: 90% · Average score: 212",
        "",
        "1. Which one?: ✅ 62% · ⏱ 7.2 s · most chosen wrong: Rome (12)",
    ]


def test_a_quiz_nobody_played_says_so() -> None:
    unplayed = QuizFigures("caps", "Caps", 0, 0, 0, 0, None, ())

    assert stats_text(unplayed).splitlines()[-1] == "Nobody has played it yet."


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_hundred_long_questions_fit_in_one_message(language: str) -> None:
    text = stats_text(
        figures(limits.QUESTIONS_MAX, "q" * limits.QUESTION_MAX), translator(language)
    )

    assert utf16_len(text) <= limits.TEXT_MAX
    assert text.splitlines()[-1].startswith("…")
