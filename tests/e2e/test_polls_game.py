"""A group game played with native quiz polls, under supervisord, to the end.

The swarm votes in the polls the fake Telegram shows (``poll_answer`` updates
to the webhook); afterwards the database must equal its ground truth, and
every player's 📊 My result toast must equal a computation made here from the
swarm's own votes.
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
from quizbot.domain.scoring import PlayerTotals, Ranked, ScoringRules, points, rank
from quizbot.sim.api.updates import SimUser, UpdateFactory
from quizbot.stack.live import LiveOptions, play_live
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import load_quiz_file

POLLS = LiveOptions(
    players=30, mode="group", style="polls", quiz="e2e-mini", think_min_s=0.2, think_max_s=1.5
)


def swarm_report(stack: LocalStack) -> dict[str, Any]:
    report: dict[str, Any] = orjson.loads((stack.layout.root / "swarm.json").read_bytes())
    return report


def expected_results(
    stack: LocalStack, swarm: dict[str, Any], quiz_file: Path
) -> dict[int, Ranked]:
    """Each joined player's score and rank, from the swarm's votes and the quiz file.

    Correctness comes from the option each player voted and the quiz's answers;
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
        assert vote["poll"] and vote["sent"]["acked_at"] is not None
        question = quiz.questions[vote["position"]]
        ms = elapsed[(vote["player_id"], vote["position"])]
        right = question.is_correct(vote["option"])
        row = totals[vote["player_id"]]
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
    """Press 📊 My result under the board as each player; the toast from each webhook reply."""
    updates = UpdateFactory(int(time.time() * 1_000_000) + 10**12)
    data = ResultData(session_id).encode()
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret}
    toasts = {}
    with httpx.Client(timeout=15) as client:
        for player in players:
            user = SimUser(player, f"Player {player}", f"p{player}")
            update = updates.press(user, board, data)
            reply = client.post(f"{stack.web_url}/telegram/webhook", json=update, headers=headers)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["method"] == "answerCallbackQuery"
            toasts[player] = body["text"]
    return toasts


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
    engine = sa.create_engine(started.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        style = conn.scalar(sa.text("SELECT style FROM sessions WHERE id = :s"), {"s": session_id})
        polls = conn.scalar(
            sa.text("SELECT count(*) FROM polls WHERE session_id = :s"), {"s": session_id}
        )
        chat_id = conn.scalar(
            sa.text("SELECT chat_id FROM sessions WHERE id = :s"), {"s": session_id}
        )
    engine.dispose()
    assert (style, polls) == ("polls", 4)  # one poll per question in a group

    board = leaderboard(started, chat_id)
    toasts = my_result_toasts(started, board, session_id, sorted(expected))
    for player, mine in expected.items():
        assert toasts[player] == render.my_result_toast(mine, len(expected), 4), player
