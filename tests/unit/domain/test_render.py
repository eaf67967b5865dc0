import html
import re
from dataclasses import replace
from typing import Any

import pytest

from quizbot.domain import limits
from quizbot.domain.callbacks import AnswerData, QuestionResultData, decode_callback
from quizbot.domain.formatting import utf16_len
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.render import (
    AnswerOutcome,
    answer_toast,
    join_toast,
    lobby_closed_message,
    lobby_message,
    lobby_started_message,
    question_message,
    reveal_message,
    reveal_text,
    welcome_message,
)
from quizbot.domain.results import (
    leaderboard_text,
    my_result_toast,
    personal_result_text,
    question_result_toast,
    results_keyboard,
)
from quizbot.domain.scoring import PlayerTotals, rank
from quizbot.domain.session import Mode, QuestionStats, Status

CAPITAL = Question(
    "Capital of <Australia> & co?",
    ("Sydney", "Canberra", "Melbourne"),
    frozenset({1}),
    "Built as a compromise.",
    20,
)


def visible_len(text: object) -> int:
    """Telegram's limits count the text after parsing HTML: no tags, entities as characters."""
    return utf16_len(html.unescape(re.sub(r"<[^>]+>", "", str(text))))


def buttons(params: dict[str, object]) -> list[list[dict[str, Any]]]:
    markup = params["reply_markup"]
    assert isinstance(markup, dict)
    keyboard: list[list[dict[str, Any]]] = markup["inline_keyboard"]
    return keyboard


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        (AnswerOutcome.ACCEPTED, "✅ Answer locked in"),
        (AnswerOutcome.LATE, "⏰ Too late — this question is closed"),
        (AnswerOutcome.DUPLICATE, "You already answered this one"),
        (AnswerOutcome.STALE, "This question is no longer open"),
        (AnswerOutcome.FORGED, "This question is no longer open"),
    ],
)
def test_answer_toasts(outcome: AnswerOutcome, text: str) -> None:
    assert answer_toast(outcome) == text
    assert len(text) <= limits.CALLBACK_ANSWER_TEXT_MAX


def test_join_toast_of_a_long_title_fits_a_toast() -> None:
    assert len(join_toast("T" * limits.TITLE_MAX * 2)) == limits.CALLBACK_ANSWER_TEXT_MAX


def test_short_options_are_buttons_one_per_row_that_decode_to_the_option() -> None:
    params = question_message(9, 4, CAPITAL, 10, "Capitals")

    keyboard = buttons(params)
    assert [[button["text"] for button in row] for row in keyboard] == [
        ["Sydney"],
        ["Canberra"],
        ["Melbourne"],
    ]
    assert [decode_callback(row[0]["callback_data"]) for row in keyboard] == [
        AnswerData(9, 4, option) for option in range(3)
    ]
    assert params["parse_mode"] == "HTML"
    assert params["text"] == (
        "<i>Capitals</i> · Question 5 of 10\n<b>Capital of &lt;Australia&gt; &amp; co?</b>\n\n⏱ 20 s to answer"
    )


@pytest.mark.parametrize(
    ("count", "rows"),
    [(2, [2]), (4, [4]), (5, [4, 1]), (8, [4, 4]), (12, [4, 4, 4])],
)
def test_long_options_are_listed_in_the_text_with_letter_buttons(
    count: int, rows: list[int]
) -> None:
    options = tuple(f"A long option, number {i}, longer than a button" for i in range(count))
    question = Question("Which?", options, frozenset({0}), None, 20)

    params = question_message(1, 0, question, 1, "Quiz")

    assert [len(row) for row in buttons(params)] == rows
    assert buttons(params)[0][0]["text"] == "A"
    assert "\nB. A long option, number 1, longer than a button\n" in str(params["text"])


def test_a_late_joiner_sees_the_seconds_left() -> None:
    assert "⏱ 7 s left" in str(question_message(1, 0, CAPITAL, 1, "Q", seconds_left=7)["text"])


def test_the_largest_possible_question_fits_telegrams_limits() -> None:
    question = Question(
        "&" * limits.POLL_QUESTION_MAX,
        tuple(f"{i:02}" + "<" * (limits.POLL_OPTION_MAX - 2) for i in range(limits.OPTIONS_MAX)),
        frozenset(range(limits.OPTIONS_MAX)),
        "🎉" * limits.EXPLANATION_MAX,
        600,
    )
    sid, position = limits.SESSION_ID_MAX, limits.QUESTIONS_MAX - 1

    sent = question_message(sid, position, question, limits.QUESTIONS_MAX, "T" * limits.TITLE_MAX)
    closed = reveal_message(
        question, position, limits.QUESTIONS_MAX, "T" * limits.TITLE_MAX, QuestionStats(9, 9)
    )

    for params in (sent, closed):
        assert visible_len(params["text"]) <= limits.TEXT_MAX
    for row in buttons(sent):
        for button in row:
            assert len(button["callback_data"].encode()) <= limits.CALLBACK_DATA_MAX_BYTES


def test_reveal_marks_the_correct_options_and_removes_the_buttons() -> None:
    params = reveal_message(CAPITAL, 0, 3, "Capitals")

    assert buttons(params) == []
    assert params["text"] == (
        "<i>Capitals</i> · Question 1 of 3\n<b>Capital of &lt;Australia&gt; &amp; co?</b>\n\n"
        "▫️ A. Sydney\n✅ B. Canberra\n▫️ C. Melbourne\n\n💡 Built as a compromise."
    )


@pytest.mark.parametrize(
    ("stats", "solo", "line"),
    [
        (QuestionStats(answered=21, correct=13), False, "📊 62% answered correctly (13 of 21)"),
        (QuestionStats(answered=8, correct=1), False, "📊 13% answered correctly (1 of 8)"),
        (QuestionStats(answered=3, correct=0), False, "📊 0% answered correctly (0 of 3)"),
        (QuestionStats(answered=0, correct=0), False, "📊 Nobody answered this one."),
        (QuestionStats(answered=1, correct=1), True, "🎉 Correct!"),
        (QuestionStats(answered=1, correct=0), True, "❌ Not quite."),
        (QuestionStats(answered=0, correct=0), True, "⏰ Time's up!"),
    ],
)
def test_reveal_ends_with_the_question_stats(stats: QuestionStats, solo: bool, line: str) -> None:
    assert reveal_text(CAPITAL, 0, 3, "Capitals", stats, solo=solo).endswith(f"\n\n{line}")


def test_lobby_messages() -> None:
    quiz = Quiz("caps", "Caps", "", (CAPITAL, Question("Q?", ("a", "b"), frozenset({0}), None, 45)))
    lobby = lobby_message(5, Mode.GROUP, quiz, "quiz_bot")

    assert "2 questions · 20–45 s each" in str(lobby["text"])
    datas = [button["callback_data"] for row in buttons(lobby) for button in row]
    assert datas == ["j:5", "o:5:1", "s:5"]
    chosen = lobby_message(5, Mode.GROUP, quiz, "quiz_bot", close_early=True)
    assert [b["callback_data"] for row in buttons(chosen) for b in row] == ["j:5", "o:5:0", "s:5"]
    assert buttons(lobby_started_message(Mode.GROUP, "Caps", 1)) == []
    assert "Started with 1 player." in str(lobby_started_message(Mode.GROUP, "Caps", 1)["text"])
    assert "Cancelled" in str(lobby_closed_message("Caps", Status.STOPPED)["text"])
    assert "lobby closed" in str(lobby_closed_message("Caps", Status.ABANDONED)["text"])


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (Status.LOBBY, "The first question arrives here when the host starts."),
        (Status.QUESTION, "is already running — jump right in!"),
    ],
)
def test_welcome_message_depends_on_whether_the_quiz_started(status: Status, text: str) -> None:
    assert text in str(welcome_message("Caps", status)["text"])


def test_leaderboard_ranks_with_medals_and_ties() -> None:
    ranked = rank(
        [
            PlayerTotals(1, 300, 3, 3, 9_000),
            PlayerTotals(2, 300, 3, 3, 9_000),
            PlayerTotals(3, 120, 1, 3, 4_500),
            PlayerTotals(4, 0, 0, 0, 0),
        ]
    )

    text = leaderboard_text(
        "Caps & Co", ranked, {1: "Ann", 2: "<Bob>", 3: "  Cy\n"}, 4, question_count=3
    )

    assert text.splitlines() == [
        "🏁 <b>Caps &amp; Co</b> — final results",
        "👥 4 players",
        "",
        "🥇 Ann — <b>300</b> pts · 3/3 ✓ · 9.0 s",
        "🥇 &lt;Bob&gt; — <b>300</b> pts · 3/3 ✓ · 9.0 s",
        "🥉 Cy — <b>120</b> pts · 1/3 ✓ · 4.5 s",
        "4. Player 4 — <b>0</b> pts · 0/3 ✓ · 0.0 s",
    ]


def test_leaderboard_shows_the_top_and_counts_the_rest() -> None:
    ranked = rank(PlayerTotals(i, 1000 - i, 1, 1, 1) for i in range(50))

    lines = leaderboard_text("Q", ranked, {}, 5_000, top=10).splitlines()

    assert len(lines) == 3 + 10 + 1
    assert lines[-1] == "… and 4,990 more"


def test_leaderboard_of_thousands_with_huge_names_stays_within_4096() -> None:
    ranked = rank(PlayerTotals(i, 10**9, 100, 100, 10**9) for i in range(5_000))
    names = {i: "&<>" * 50 + "😀" * 40 for i in range(5_000)}

    text = leaderboard_text("&" * limits.TITLE_MAX, ranked, names, 5_000, top=5_000)

    assert utf16_len(text) <= limits.TEXT_MAX
    assert text.splitlines()[-1].startswith("… and ")


@pytest.mark.parametrize(
    ("reason", "heading"),
    [
        (Status.FINISHED, "🏁 <b>Q</b> — final results"),
        (Status.STOPPED, "🛑 <b>Q</b> — stopped by the host. Results so far:"),
        (Status.ABANDONED, "⌛ <b>Q</b> — ended for lack of activity. Results so far:"),
    ],
)
def test_leaderboard_heading_says_how_the_quiz_ended(reason: Status, heading: str) -> None:
    assert leaderboard_text("Q", [], {}, 0, reason=reason).splitlines()[0] == heading


def test_leaderboard_without_scores() -> None:
    assert leaderboard_text("Q", [], {}, 0).endswith("Nobody scored this time. Play again?")


# ---- personal results ---------------------------------------------------------

RANKED = rank(
    [
        PlayerTotals(1, 420, 3, 3, 9_000),
        PlayerTotals(2, 300, 2, 3, 7_000),
        PlayerTotals(3, 300, 2, 3, 7_000),
        PlayerTotals(4, 120, 1, 3, 4_000),
        PlayerTotals(5, 0, 0, 0, 0),
    ]
)


@pytest.mark.parametrize(
    ("mine", "total", "toast"),
    [
        (RANKED[0], 5, "📊 Your result: 420 pts · 3 of 3 correct · rank 1 of 5"),
        (RANKED[2], 5, "📊 Your result: 300 pts · 2 of 3 correct · rank 2 of 5"),
        (RANKED[4], 5, "📊 Your result: 0 pts · 0 of 3 correct · rank 5 of 5"),
        (None, 5, "You did not play this quiz."),
    ],
)
def test_my_result_toast_gives_score_correct_count_and_rank(
    mine: Any, total: int, toast: str
) -> None:
    assert my_result_toast(mine, total, 3) == toast


def test_my_result_toast_fits_the_toast_limit_for_the_largest_numbers() -> None:
    huge = rank([PlayerTotals(1, 10**12, 100, 100, 10**9)])[0]
    huge = replace(huge, rank=10**9)
    toast = my_result_toast(huge, 10**9, limits.QUESTIONS_MAX)
    assert len(toast) <= limits.CALLBACK_ANSWER_TEXT_MAX


@pytest.mark.parametrize(
    ("option", "points", "elapsed", "toast"),
    [
        (1, 137, 4_200, "Question 2: ✅ B is right! +137 pts in 4.2 s"),
        (0, 0, 1_000, "Question 2: ❌ you picked A; the answer was B."),
        (None, 0, 0, "Question 2: you did not answer this one."),
    ],
)
def test_question_result_toast_says_how_the_player_did(
    option: int | None, points: int, elapsed: int, toast: str
) -> None:
    assert question_result_toast(1, CAPITAL, option, points, elapsed) == toast
    assert len(toast) <= limits.CALLBACK_ANSWER_TEXT_MAX


def test_a_live_reveal_carries_how_did_i_do_and_a_solo_one_nothing() -> None:
    live = reveal_message(CAPITAL, 2, 3, "Capitals", session_id=42)
    solo = reveal_message(CAPITAL, 2, 3, "Capitals", solo=True, session_id=42)

    assert [[b["callback_data"] for b in row] for row in buttons(live)] == [["h:42:2"]]
    assert decode_callback("h:42:2") == QuestionResultData(42, 2)
    assert buttons(solo) == []


def test_the_results_keyboard_has_my_result_play_again_and_another_quiz() -> None:
    keyboard = results_keyboard(42)
    rows = [[(b["text"], b["callback_data"]) for b in row] for row in keyboard["inline_keyboard"]]  # type: ignore[attr-defined]
    assert rows == [
        [("📊 My result", "r:42")],
        [("🔁 Play again", "p:42"), ("📚 Another quiz", "n")],
    ]


def test_a_private_players_final_message_is_their_rank_and_the_top_3() -> None:
    names = {1: "Ada", 2: "Bob", 3: "Cy", 4: "Dee"}
    text = personal_result_text("Capitals", RANKED[3], RANKED[:3], names, 5, question_count=3)

    assert text == (
        "🏁 <b>Capitals</b> — final results\n👥 5 players\n\n"
        "You: 4. rank 4 of 5 · <b>120</b> pts · 1/3 ✓\n\n"
        "🥇 Ada — <b>420</b> pts · 3/3 ✓ · 9.0 s\n"
        "🥈 Bob — <b>300</b> pts · 2/3 ✓ · 7.0 s\n"
        "🥈 Cy — <b>300</b> pts · 2/3 ✓ · 7.0 s"
    )
    host = personal_result_text("Capitals", None, RANKED[:3], names, 5, question_count=3)
    assert "You did not play this one." in host


def test_a_personal_result_stays_short_whatever_the_names() -> None:
    names = {row.player_id: "🎉" * 200 for row in RANKED}
    text = personal_result_text(
        "T" * limits.TITLE_MAX, RANKED[0], RANKED, names, 10**6, question_count=100
    )
    assert visible_len(text) <= 1000
