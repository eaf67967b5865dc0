"""A private live game under supervisord, played by the swarm to the end.

Each player joins from their own private chat (the host with the lobby's
button, the others through the invite link) and answers there. At the end
each player gets a personal results message (their score, their rank, the
top 3) with 📊 My result under it. Afterwards the database must equal the
swarm's ground truth, each personal message and each player's My result
toast must say what a computation made here from the swarm's own answers
says (tests/e2e/games.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizbot.domain.formatting import badge
from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack
from tests.e2e.games import (
    QUESTIONS,
    assert_every_answer_counted,
    assert_my_results,
    game_played,
    results_message,
)

PRIVATE = LiveOptions(players=20, mode="private", quiz="e2e-mini", think_min_s=0.2, think_max_s=1.5)


@pytest.mark.parametrize("started", [PRIVATE], indirect=True)
def test_a_private_live_game_ends_with_every_players_result_equal_to_ground_truth(
    started: LocalStack, quiz_file: Path
) -> None:
    report = play_live(started, PRIVATE)
    assert_every_answer_counted(report, PRIVATE.players)
    assert report["toasts"] == {answer_toast(AnswerOutcome.ACCEPTED): report["answers_sent"]}

    _, expected, session = game_played(started, quiz_file, PRIVATE.players)
    assert (session.style, session.participant_count) == ("buttons", PRIVATE.players)

    # Each player's own message: their rank of N, score and correct count.
    for player, mine in expected.items():
        text = results_message(started, player)["text"]
        you = (
            f"You: {badge(mine.rank)} rank {mine.rank:,} of {PRIVATE.players:,}"
            f" · {mine.score:,} pts · {mine.correct}/{QUESTIONS} ✓"
        )
        assert you in text.splitlines(), (player, text)
    # In a private chat the chat is the player's own.
    assert_my_results(started, session.id, {player: player for player in expected}, expected)
