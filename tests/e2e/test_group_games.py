"""Group games under supervisord, played by the swarm to the end.

- with native quiz polls: the swarm votes in the polls the fake Telegram shows
  (``poll_answer`` updates to the webhook);
- with late joiners: players who skip the lobby and join by answering, after
  every lobby player, while each question stays open its full time.

Afterwards the database must equal the swarm's ground truth, and every
player's 📊 My result toast must equal a computation made here from the
swarm's own answers (tests/e2e/games.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack
from tests.e2e.games import (
    assert_every_answer_counted,
    assert_my_results,
    game_played,
)

POLLS = LiveOptions(
    players=30, mode="group", style="polls", quiz="e2e-mini", think_min_s=0.2, think_max_s=1.5
)
# Lobby players answer within 1.5 s, late joiners 1.5-3 s after a question
# arrives: well within its 6 s, which it keeps in full (no early close).
LATE = LiveOptions(
    players=30,
    mode="group",
    quiz="e2e-mini",
    think_min_s=0.2,
    think_max_s=1.5,
    close_early=False,
    late_joiners=8,
)


@pytest.mark.parametrize("started", [POLLS], indirect=True)
def test_a_polls_group_game_ends_with_the_database_and_my_result_equal_to_ground_truth(
    started: LocalStack, quiz_file: Path
) -> None:
    report = play_live(started, POLLS)
    assert_every_answer_counted(report, POLLS.players)
    assert report["style"] == "polls"

    _, expected, session = game_played(started, quiz_file, POLLS.players)
    assert (session.style, session.polls) == ("polls", 4)  # one poll per question in a group
    assert_my_results(started, session.id, dict.fromkeys(expected, session.chat_id), expected)


@pytest.mark.parametrize("started", [LATE], indirect=True)
def test_late_joiners_who_answer_after_the_lobby_players_are_counted_and_ranked(
    started: LocalStack, quiz_file: Path
) -> None:
    report = play_live(started, LATE)
    assert_every_answer_counted(report, LATE.players)
    # Nobody is turned away: each question stays open its full time.
    assert report["toasts"] == {answer_toast(AnswerOutcome.ACCEPTED): report["answers_sent"]}

    swarm, expected, session = game_played(started, quiz_file, LATE.players)
    lobby = {j["player_id"] for j in swarm["joins"]}
    late = [a for a in swarm["answers"] if a["player_id"] not in lobby]
    assert len({a["player_id"] for a in late}) == LATE.late_joiners
    assert len(lobby) == LATE.players - LATE.late_joiners
    assert all(a["position"] > 0 for a in late)
    # Each late answer was sent after every lobby player's answer to that question
    # (the swarm's timers fire in order: late ones are set think_min_s later at least).
    last_lobby: dict[int, float] = {}
    for a in swarm["answers"]:
        if a["player_id"] in lobby:
            at = a["sent"]["sent_at"]
            last_lobby[a["position"]] = max(last_lobby.get(a["position"], at), at)
    assert all(a["sent"]["sent_at"] > last_lobby[a["position"]] for a in late)

    assert session.participant_count == LATE.players
    assert_my_results(started, session.id, dict.fromkeys(expected, session.chat_id), expected)
