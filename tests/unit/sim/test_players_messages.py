"""What a simulated player reads in the bot's messages, as the fake Bot API delivers them.

Each message is made the way the running bot makes it: the domain's renderer
builds the Bot API call, and the simulated Telegram stores it (parsing the
HTML away, as Telegram does). The swarm must find its buttons in that.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from quizbot.domain import polls, render
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.results import leaderboard_text, personal_result_text, results_keyboard
from quizbot.domain.scoring import PlayerTotals, rank
from quizbot.domain.session import Mode, Status
from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.engine import FakeTelegram
from quizbot.sim.swarm.answers import AnswerKey, choose, load_answer_key
from quizbot.sim.swarm.messages import (
    is_closed_lobby,
    is_results,
    read_lobby,
    read_question,
)

GROUP = -1_001_000_000_001
BOT = "quizbot_sim_bot"
QUIZ = Quiz(
    slug="planets",
    title="Planets & <moons>",
    description="",
    questions=(
        Question("Closest to the Sun?", ("Venus", "Mercury", "Mars"), frozenset({1}), None, 20),
        Question(
            "Which of these statements about Jupiter is true?",
            (
                "It is the smallest of the giant planets by far",
                "It has no moons at all",
                "It is more massive than all other planets together",
                "It is made of rock",
            ),
            frozenset({2}),
            None,
            20,
        ),
    ),
)


@pytest.fixture
def tg() -> FakeTelegram:
    return FakeTelegram(SimConfig(limits=False))


def deliver(tg: FakeTelegram, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The Message a chat receives when the bot sends ``params``."""
    _, message = tg.apply("1:t", "sendMessage", {"chat_id": chat_id, **params})
    assert isinstance(message, dict)
    return message


def edit(tg: FakeTelegram, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The Message after the bot edits it with ``params``."""
    target = {"chat_id": message["chat"]["id"], "message_id": message["message_id"]}
    _, edited = tg.apply("1:t", "editMessageText", {**target, **params})
    assert isinstance(edited, dict)
    return edited


def test_a_group_lobby_gives_the_join_and_start_buttons(tg: FakeTelegram) -> None:
    message = deliver(tg, GROUP, render.lobby_message(417, Mode.GROUP, QUIZ, BOT))
    lobby = read_lobby(message)
    assert lobby is not None
    assert (lobby.session_id, lobby.join_data, lobby.start_data) == (417, "j:417", "s:417")
    assert lobby.join_payload == "join-417"
    assert lobby.message is message


def test_a_private_lobby_gives_the_invite_link_payload(tg: FakeTelegram) -> None:
    message = deliver(tg, 10_000_000, render.lobby_message(9, Mode.PRIVATE, QUIZ, BOT))
    assert f"https://t.me/{BOT}?start=join-9" in message["text"]
    lobby = read_lobby(message)
    assert lobby is not None and lobby.join_payload == "join-9"


@pytest.mark.parametrize("position", [0, 1])
def test_a_question_gives_one_button_per_option_in_option_order(
    tg: FakeTelegram, position: int
) -> None:
    question = QUIZ.questions[position]
    params = render.question_message(5, position, question, 2, QUIZ.title)
    card = read_question(deliver(tg, GROUP, params))
    assert card is not None
    assert (card.session_id, card.position) == (5, position)
    assert card.buttons == tuple(f"a:5:{position}:{i}" for i in range(len(question.options)))
    assert question.text in card.text


def test_a_revealed_question_has_nothing_left_to_press(tg: FakeTelegram) -> None:
    question = QUIZ.questions[0]
    sent = deliver(tg, GROUP, render.question_message(5, 0, question, 2, QUIZ.title))
    revealed = edit(tg, sent, render.reveal_message(question, 0, 2, QUIZ.title))
    assert read_question(revealed) is None


def test_a_quiz_poll_is_a_question_until_it_is_stopped(tg: FakeTelegram) -> None:
    question = QUIZ.questions[1]
    params = {"chat_id": GROUP, **polls.quiz_poll(5, 1, question, 2)}
    _, sent = tg.apply("1:t", "sendPoll", params)
    assert isinstance(sent, dict)
    card = read_question(sent)
    assert card is not None and card.poll is not None
    assert (card.session_id, card.position, card.buttons) == (5, 1, ())
    assert (card.option_count, card.open_s) == (4, 20.0)
    assert card.poll["id"] == sent["poll"]["id"]
    key = AnswerKey(QUIZ)
    assert key.correct_options(card) == question.correct

    target = {"chat_id": GROUP, "message_id": sent["message_id"]}
    tg.apply("1:t", "stopPoll", {**target, **polls.poll_stop(5, 1)})
    assert read_question(tg.state.message(GROUP, sent["message_id"])) is None


def test_other_messages_are_neither_lobbies_nor_questions(tg: FakeTelegram) -> None:
    welcome = deliver(tg, 10_000_001, render.welcome_message(QUIZ.title, Status.LOBBY))
    assert read_lobby(welcome) is None
    assert read_question(welcome) is None
    assert not is_results(welcome)
    foreign = {
        "text": "x",
        "reply_markup": {"inline_keyboard": [[{"text": "?", "callback_data": "vote:1"}]]},
    }
    assert read_question(foreign) is None and read_lobby(foreign) is None


@pytest.mark.parametrize("reason", [Status.FINISHED, Status.STOPPED, Status.ABANDONED])
def test_the_final_leaderboard_is_recognised(tg: FakeTelegram, reason: Status) -> None:
    ranked = rank(
        [PlayerTotals(10_000_000, 250, 2, 2, 3100), PlayerTotals(10_000_001, 0, 0, 1, 900)]
    )
    text = leaderboard_text(QUIZ.title, ranked, {10_000_000: "Ada 0"}, 2, reason=reason)
    message = deliver(tg, GROUP, {"text": text, "parse_mode": "HTML"})
    assert is_results(message)
    keyboard = results_keyboard(5)
    with_button = deliver(tg, GROUP, {"text": text, "parse_mode": "HTML", "reply_markup": keyboard})
    assert is_results(with_button)
    personal = personal_result_text(
        QUIZ.title, ranked[1], ranked, {}, 2, question_count=2, reason=reason
    )
    assert is_results(deliver(tg, 10_000_001, {"text": personal, "reply_markup": keyboard}))


def test_a_lobby_that_closed_unplayed_is_recognised_and_a_started_one_is_not(
    tg: FakeTelegram,
) -> None:
    lobby = deliver(tg, GROUP, render.lobby_message(3, Mode.GROUP, QUIZ, BOT))
    started = edit(tg, lobby, render.lobby_started_message(Mode.GROUP, QUIZ.title, 12))
    assert not is_closed_lobby(started)
    for reason in (Status.ABANDONED, Status.STOPPED):
        other = deliver(tg, GROUP, render.lobby_message(4, Mode.GROUP, QUIZ, BOT))
        closed = edit(tg, other, render.lobby_closed_message(QUIZ.title, reason))
        assert is_closed_lobby(closed)
        assert not is_results(closed)


def test_the_answer_key_finds_a_question_by_its_text(tg: FakeTelegram) -> None:
    key = AnswerKey(QUIZ)
    for position, question in enumerate(QUIZ.questions):
        card = read_question(
            deliver(tg, GROUP, render.question_message(1, position, question, 2, QUIZ.title))
        )
        assert card is not None
        assert key.correct_options(card) == question.correct
    other = Question("Something else?", ("A", "B", "C"), frozenset({0}), None, 20)
    card = read_question(deliver(tg, GROUP, render.question_message(1, 0, other, 2, QUIZ.title)))
    assert card is not None and key.correct_options(card) is None


def test_the_answer_key_of_a_shipped_sample_is_found_by_slug() -> None:
    key = load_answer_key("space")
    assert key is not None and key.quiz.title == "Space"
    assert load_answer_key("no-such-quiz") is None


@pytest.mark.parametrize("accuracy", [0.0, 0.3, 0.7, 1.0])
def test_players_press_the_correct_option_as_often_as_their_accuracy(accuracy: float) -> None:
    rng = random.Random(7)
    choices = [choose(rng, 4, frozenset({2}), accuracy) for _ in range(20_000)]
    right = [c for c in choices if c.option == 2]
    assert all(c.correct is True for c in right)
    assert all(c.correct is False for c in choices if c.option != 2)
    assert abs(len(right) / len(choices) - accuracy) < 0.02
    assert {c.option for c in choices} == (
        {2} if accuracy == 1 else {0, 1, 3} if accuracy == 0 else {0, 1, 2, 3}
    )


def test_without_an_answer_key_presses_are_random_and_marked_unknown() -> None:
    rng = random.Random(1)
    choices = [choose(rng, 3, None, 1.0) for _ in range(300)]
    assert {c.option for c in choices} == {0, 1, 2}
    assert {c.correct for c in choices} == {None}
