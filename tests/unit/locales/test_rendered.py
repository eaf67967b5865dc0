"""Every text the bot writes, rendered in every language, within Telegram's limits.

The largest inputs the quiz format allows (titles, 100 questions, 12 options,
a million players) go through each renderer with each language's translator.
"""

from __future__ import annotations

from typing import Any

import pytest

from quizbot.domain import limits, render, replies, sharing
from quizbot.domain.language import LANGUAGES, Translator
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.results import (
    leaderboard_text,
    my_result_toast,
    personal_result_text,
    question_result_toast,
    results_keyboard,
    results_pending_toast,
)
from quizbot.domain.scoring import Ranked
from quizbot.domain.session import Mode, QuestionStats, Status
from quizbot.locales import translator
from tests.unit.domain.test_render import visible_len

BUTTON_TEXT_MAX = 64  # a label a phone shows without cutting (the bot's own buttons)
BIG = 10**9
TITLE = "T" * limits.TITLE_MAX
QUESTION = Question(
    "Q" * limits.QUESTION_MAX,
    tuple("O" * limits.OPTION_MAX for _ in range(limits.OPTIONS_MAX)),
    frozenset(range(limits.OPTIONS_MAX)),
    "E" * limits.EXPLANATION_MAX,
    limits.TIME_LIMIT_MAX,
)
QUIZ = Quiz(
    "s" * limits.SLUG_MAX,
    TITLE,
    "D" * limits.DESCRIPTION_MAX,
    tuple(QUESTION for _ in range(limits.QUESTIONS_MAX)),
)
RANKED = [Ranked(i, BIG, limits.QUESTIONS_MAX, limits.QUESTIONS_MAX, BIG, i) for i in range(1, 51)]
NAMES = {row.player_id: "N" * 64 for row in RANKED}
SESSION = limits.SESSION_ID_MAX


def _texts(tr: Translator) -> list[str]:
    board = dict(question_count=limits.QUESTIONS_MAX, top=50, tr=tr)
    stats = QuestionStats(answered=BIG, correct=BIG)
    return [
        render.question_message(SESSION, 99, QUESTION, 100, TITLE, seconds_left=600, tr=tr)["text"],
        render.reveal_text(QUESTION, 99, 100, TITLE, stats, tr=tr),
        render.lobby_message(SESSION, Mode.PRIVATE, QUIZ, "b" * 32, tr=tr)["text"],
        render.lobby_message(SESSION, Mode.GROUP, QUIZ, "b", close_early=True, tr=tr)["text"],
        render.lobby_started_message(Mode.PRIVATE, TITLE, BIG, tr)["text"],
        render.lobby_closed_message(TITLE, Status.ABANDONED, tr)["text"],
        render.welcome_message(TITLE, Status.LOBBY, tr)["text"],
        leaderboard_text(TITLE, RANKED, NAMES, BIG, reason=Status.ABANDONED, **board),
        personal_result_text(TITLE, RANKED[0], RANKED, NAMES, BIG, question_count=100, tr=tr),
        replies.help_text("b" * 32, tr),
        replies.quizzes_text(
            [replies.QuizListing("s" * 40, TITLE, 100) for _ in range(200)], "b" * 32, tr
        ),
        replies.me_text("N" * 64, replies.PlayerStats(BIG, BIG, BIG, BIG, BIG), tr),
        replies.top_text(TITLE, [replies.TopRow(i, "N" * 64, BIG) for i in range(200)], BIG, tr),
    ]


def _toasts(tr: Translator) -> list[str]:
    return [
        *(render.answer_toast(outcome, tr) for outcome in render.AnswerOutcome),
        render.join_toast(TITLE, tr),
        render.close_early_toast(True, tr),
        render.close_early_toast(False, tr),
        my_result_toast(RANKED[0], BIG, limits.QUESTIONS_MAX, tr),
        results_pending_toast(tr),
        question_result_toast(99, QUESTION, 11, BIG, BIG, tr),
        question_result_toast(
            99, Question("q", ("a", "b"), frozenset({0}), None, 5), 1, 0, BIG, tr
        ),
    ]


def _buttons(tr: Translator) -> list[dict[str, Any]]:
    keyboards = [
        render.lobby_message(SESSION, Mode.PRIVATE, QUIZ, "b", tr=tr)["reply_markup"],
        render.lobby_message(SESSION, Mode.GROUP, QUIZ, "b", close_early=False, tr=tr)[
            "reply_markup"
        ],
        render.lobby_message(SESSION, Mode.GROUP, QUIZ, "b", close_early=True, tr=tr)[
            "reply_markup"
        ],
        render.reveal_message(QUESTION, 0, 1, TITLE, session_id=SESSION, tr=tr)["reply_markup"],
        results_keyboard(SESSION, "s" * 40, tr),
        sharing.quiz_card_keyboard("s" * 40, "b" * 32, tr),
    ]
    return [
        button for keyboard in keyboards for row in keyboard["inline_keyboard"] for button in row
    ]  # type: ignore[index]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_texts_fit_a_message(language: str) -> None:
    for text in _texts(translator(language)):
        assert 1 <= visible_len(text) <= limits.TEXT_MAX


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_toasts_fit_a_toast(language: str) -> None:
    for toast in _toasts(translator(language)):
        assert len(toast) <= limits.CALLBACK_ANSWER_TEXT_MAX, toast


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_bots_own_buttons_are_short(language: str) -> None:
    for button in _buttons(translator(language)):
        assert 1 <= len(button["text"]) <= BUTTON_TEXT_MAX, button
        if "callback_data" in button:
            assert len(button["callback_data"].encode()) <= limits.CALLBACK_DATA_MAX_BYTES


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_text_changes_with_the_language(language: str) -> None:
    english, other = translator("en"), translator(language)
    for mine, theirs in zip(
        _texts(english) + _toasts(english), _texts(other) + _toasts(other), strict=True
    ):
        assert mine != theirs
