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
    assert_my_results,
    expected_results,
    results_message,
    session_row,
    swarm_report,
)

PRIVATE = LiveOptions(players=20, mode="private", quiz="e2e-mini", think_min_s=0.2, think_max_s=1.5)


@pytest.mark.parametrize("started", [PRIVATE], indirect=True)
def test_a_private_live_game_ends_with_every_players_result_equal_to_ground_truth(
    started: LocalStack, quiz_file: Path
) -> None:
    report = play_live(started, PRIVATE)
    assert report["finished"], report
    assert report["answers_sent"] > PRIVATE.players  # every player answers most questions
    assert report["answers_acknowledged"] == report["answers_sent"]
    assert report["toasts"] == {answer_toast(AnswerOutcome.ACCEPTED): report["answers_sent"]}
    assert report["answers_recorded"] == report["answers_sent"]
    assert report["lost"] == 0 and report["double_counted"] == 0
    assert report["scores_match"] is True
    assert report["results_commits"] == 1
    assert report["retry_after_429"] == 0

    swarm = swarm_report(started)
    session_id = swarm["session_id"]
    expected = expected_results(started, swarm, quiz_file)
    assert len(expected) == PRIVATE.players
    session = session_row(started, session_id)
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
    assert_my_results(started, session_id, {player: player for player in expected}, expected)
