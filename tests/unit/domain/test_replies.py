import pytest

from quizbot.domain import limits
from quizbot.domain.formatting import utf16_len
from quizbot.domain.replies import (
    PlayerStats,
    QuizListing,
    TopRow,
    deep_link,
    help_text,
    me_text,
    quizzes_text,
    top_text,
)


def test_help_lists_the_commands() -> None:
    text = help_text("quiz_bot")

    for command in ("/quizzes", "/play", "/live", "/stop", "/myquizzes", "/stats", "/me", "/top"):
        assert command in text
    assert "@quiz_bot" in text


def test_quizzes_have_play_and_add_to_group_deep_links() -> None:
    text = quizzes_text([QuizListing("space", "Space & Stars", 12)], "quiz_bot")

    assert text == (
        "📚 <b>Quizzes</b>\n\n• <b>Space &amp; Stars</b> — 12 questions · "
        '<a href="https://t.me/quiz_bot?start=play-space">Play</a> · '
        '<a href="https://t.me/quiz_bot?startgroup=play-space">In a group</a>'
    )


def test_a_long_quiz_list_is_cut_to_fit() -> None:
    quizzes = [QuizListing("s" * limits.SLUG_MAX, "T" * limits.TITLE_MAX, 100) for _ in range(500)]

    text = quizzes_text(quizzes, "quiz_bot")

    assert utf16_len(text) <= limits.TEXT_MAX
    assert text.splitlines()[-1].startswith("… and ")


def test_no_quizzes() -> None:
    assert quizzes_text([], "quiz_bot") == "No quizzes yet. Ask a host to import one!"


@pytest.mark.parametrize(
    ("stats", "lines"),
    [
        (None, ["You haven't finished a quiz yet. Try /quizzes!"]),
        (PlayerStats(0, 0, 0, 0, 0), ["You haven't finished a quiz yet. Try /quizzes!"]),
        (
            PlayerStats(games=12, wins=3, total_score=4_560, correct=50, answered=75),
            [
                "📈 <b>Ann &lt;3</b>",
                "Games: 12 · Wins: 3",
                "Points: 4,560",
                "Correct: 50 of 75 (66%)",
            ],
        ),
    ],
)
def test_me_text(stats: PlayerStats | None, lines: list[str]) -> None:
    assert me_text("Ann <3", stats).splitlines() == lines


def test_top_text() -> None:
    rows = [
        TopRow(1, "Ann", 1_200),
        TopRow(2, "Bob", 900),
        TopRow(2, "Cy", 900),
        TopRow(4, "Di", 10),
    ]

    assert top_text("Space", rows, total=40).splitlines() == [
        "🏆 <b>Space</b>",
        "",
        "🥇 Ann — 1,200 pts",
        "🥈 Bob — 900 pts",
        "🥈 Cy — 900 pts",
        "4. Di — 10 pts",
        "… and 36 more",
    ]
    assert top_text("Space", []) == "🏆 <b>Space</b>\n\nNo scores yet."


def test_deep_link() -> None:
    assert deep_link("quiz_bot", "join-42") == "https://t.me/quiz_bot?start=join-42"
