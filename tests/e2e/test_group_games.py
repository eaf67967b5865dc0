"""Group games under supervisord, played by the swarm to the end.

- with native quiz polls: the swarm votes in the polls the fake Telegram shows
  (``poll_answer`` updates to the webhook);
- with late joiners: players who skip the lobby and join by answering, after
  every lobby player, while each question stays open its full time.

Afterwards the database must equal the swarm's ground truth, and every
player's 📊 My result toast must equal a computation made here from the
swarm's own answers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from quizbot.domain import render
from quizbot.domain.callbacks import ResultData
from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.domain.scoring import PlayerTotals, Ranked, ScoringRules, points, rank
from quizbot.sim.users.client import SimClient, User
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import load_quiz_file

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
KEPT = {answer_toast(AnswerOutcome.ACCEPTED), answer_toast(AnswerOutcome.DUPLICATE)}


def kept(answer: dict[str, Any]) -> bool:
    """Whether the bot took this answer: a vote it acknowledged, a press it said it kept."""
    if answer["poll"]:
        return answer["sent"]["acked_at"] is not None
    return answer["sent"]["toast"] in KEPT


def swarm_report(stack: LocalStack) -> dict[str, Any]:
    report: dict[str, Any] = orjson.loads((stack.layout.root / "swarm.json").read_bytes())
    return report


def expected_results(
    stack: LocalStack, swarm: dict[str, Any], quiz_file: Path
) -> dict[int, Ranked]:
    """Each player's score and rank, from the swarm's answers and the quiz file.

    Players are those who joined in the lobby and those who joined by answering.
    Correctness comes from the option each player chose and the quiz's answers;
    only the answer times (measured by the web tier on arrival) come from the
    database.
    """
    quiz = load_quiz_file(quiz_file)
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        elapsed = {
            (r.player_id, r.position): r.elapsed_ms
            for r in conn.execute(
                sa.text(
                    "SELECT player_id, position, elapsed_ms FROM answers WHERE session_id = :s"
                ),
                {"s": swarm["session_id"]},
            )
        }
    engine.dispose()
    rules = ScoringRules(stack.settings.points_correct, stack.settings.speed_bonus)
    joined = {j["player_id"] for j in swarm["joins"] if j["sent"]["acked_at"] is not None}
    totals = {player: [0, 0, 0, 0] for player in joined}
    for vote in swarm["answers"]:
        assert kept(vote), vote
        question = quiz.questions[vote["position"]]
        ms = elapsed[(vote["player_id"], vote["position"])]
        right = question.is_correct(vote["option"])
        row = totals.setdefault(vote["player_id"], [0, 0, 0, 0])
        row[0] += points(right, ms, question.time_limit_ms, rules)
        row[1] += int(right)
        row[2] += 1
        row[3] += ms
    return {r.player_id: r for r in rank(PlayerTotals(p, *t) for p, t in totals.items())}


def leaderboard(stack: LocalStack, chat_id: int) -> dict[str, Any]:
    url = f"{stack.sim_url}/sim/chats/{chat_id}/messages"
    messages = httpx.get(url, timeout=10).json()["messages"]
    boards = [m for m in messages if "final results" in m.get("text", "")]
    assert len(boards) == 1, [m.get("text", "")[:80] for m in messages]
    board: dict[str, Any] = boards[0]
    return board


def my_result_toasts(
    stack: LocalStack, board: dict[str, Any], session_id: int, players: list[int]
) -> dict[int, str]:
    """Press 📊 My result under the board as each player (the swarm's users of the fake
    API, which delivers the press to the webhook); the toast each one sees."""
    data = ResultData(session_id).encode()
    toasts = {}
    with SimClient(stack.sim_url, timeout=15) as sim:
        for player in players:
            user = User(sim, {"id": player})
            before = len(user.toasts())
            user.press(board, data=data)
            deadline = time.monotonic() + 15
            while len(seen := user.toasts()) == before:
                assert time.monotonic() < deadline, f"player {player} saw no toast"
                time.sleep(0.05)
            toasts[player] = seen[-1]["text"]
    return toasts


def session_row(stack: LocalStack, session_id: int) -> Any:
    """The session's style, chat, participant count and the number of polls it sent."""
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT style, chat_id, participant_count,"
                " (SELECT count(*) FROM polls p WHERE p.session_id = s.id) AS polls"
                " FROM sessions s WHERE id = :s"
            ),
            {"s": session_id},
        ).one()
    engine.dispose()
    return row


def assert_my_results(
    stack: LocalStack, session_id: int, chat_id: int, expected: dict[int, Ranked]
) -> None:
    """Every player's 📊 My result toast under the group's board says what ``expected`` does."""
    board = leaderboard(stack, chat_id)
    toasts = my_result_toasts(stack, board, session_id, sorted(expected))
    for player, mine in expected.items():
        assert toasts[player] == render.my_result_toast(mine, len(expected), 4), player


@pytest.mark.parametrize("started", [POLLS], indirect=True)
def test_a_polls_group_game_ends_with_the_database_and_my_result_equal_to_ground_truth(
    started: LocalStack, quiz_file: Path
) -> None:
    report = play_live(started, POLLS)
    assert report["finished"], report
    assert report["style"] == "polls"
    assert report["answers_sent"] > POLLS.players  # every player votes in most polls
    assert report["answers_acknowledged"] == report["answers_sent"]
    assert report["answers_recorded"] == report["answers_sent"]
    assert report["lost"] == 0 and report["double_counted"] == 0
    assert report["scores_match"] is True
    assert report["results_commits"] == 1
    assert report["retry_after_429"] == 0

    swarm = swarm_report(started)
    session_id = swarm["session_id"]
    expected = expected_results(started, swarm, quiz_file)
    assert len(expected) == POLLS.players
    session = session_row(started, session_id)
    assert (session.style, session.polls) == ("polls", 4)  # one poll per question in a group
    assert_my_results(started, session_id, session.chat_id, expected)


@pytest.mark.parametrize("started", [LATE], indirect=True)
def test_late_joiners_who_answer_after_the_lobby_players_are_counted_and_ranked(
    started: LocalStack, quiz_file: Path
) -> None:
    report = play_live(started, LATE)
    assert report["finished"], report
    assert report["answers_acknowledged"] == report["answers_sent"]
    # Nobody is turned away: each question stays open its full time.
    assert report["toasts"] == {answer_toast(AnswerOutcome.ACCEPTED): report["answers_sent"]}
    assert report["answers_recorded"] == report["answers_sent"]
    assert report["lost"] == 0 and report["double_counted"] == 0
    assert report["scores_match"] is True
    assert report["results_commits"] == 1

    swarm = swarm_report(started)
    session_id = swarm["session_id"]
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

    expected = expected_results(started, swarm, quiz_file)
    assert len(expected) == LATE.players
    session = session_row(started, session_id)
    assert session.participant_count == LATE.players
    assert_my_results(started, session_id, session.chat_id, expected)
