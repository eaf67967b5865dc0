"""What every e2e game test checks after the swarm played a quiz to the end.

- :func:`expected_results`: each player's score, correct count and rank,
  computed here from the swarm's own answers and the quiz file (only the
  answer times, measured by the web tier on arrival, come from the database);
- :func:`assert_my_results`: every player presses 📊 My result under the
  results message in their chat (the group's board, or their own personal
  message in a private game), through the fake Telegram, which delivers the
  press to the webhook; each toast must say what ``expected`` does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from quizbot.domain.callbacks import ResultData
from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.domain.results import my_result_toast
from quizbot.domain.scoring import PlayerTotals, Ranked, ScoringRules, points, rank
from quizbot.sim.users.client import SimClient, User
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import load_quiz_file

KEPT = {answer_toast(AnswerOutcome.ACCEPTED), answer_toast(AnswerOutcome.DUPLICATE)}
QUESTIONS = 4  # the e2e quiz's (tests/e2e/conftest.py)


def kept(answer: dict[str, Any]) -> bool:
    """Whether the bot took this answer: a vote it acknowledged, a press it said it kept."""
    if answer["poll"]:
        return answer["sent"]["acked_at"] is not None
    return answer["sent"]["toast"] in KEPT


def assert_every_answer_counted(report: dict[str, Any], players: int) -> None:
    """The game ran to its results; every answer the swarm sent was acknowledged and is in
    the database once; the stored results equal those recomputed from the raw answers,
    written in one commit; Telegram never had to say 429."""
    assert report["finished"], report
    assert report["answers_sent"] > players  # every player answers most questions
    assert report["answers_acknowledged"] == report["answers_sent"], report["swarm_error_samples"]
    assert report["answers_recorded"] == report["answers_sent"]
    assert report["lost"] == 0 and report["double_counted"] == 0
    assert report["scores_match"] is True
    assert report["results_commits"] == 1
    assert report["retry_after_429"] == 0


def swarm_report(stack: LocalStack) -> dict[str, Any]:
    """The swarm's ground truth, as its program wrote it at the end of the run."""
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
    elapsed = answer_times(stack, swarm["session_id"])
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


def answer_times(stack: LocalStack, session_id: int) -> dict[tuple[int, int], int]:
    """(player, position) -> elapsed ms of every stored answer of the session, as the web
    tier measured it on arrival."""
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT player_id, position, elapsed_ms FROM answers WHERE session_id = :s"),
            {"s": session_id},
        )
        elapsed = {(r.player_id, r.position): r.elapsed_ms for r in rows}
    engine.dispose()
    return elapsed


def results_message(stack: LocalStack, chat_id: int) -> dict[str, Any]:
    """The one results message (board or personal) in ``chat_id``, as the fake Telegram holds it."""
    url = f"{stack.sim_url}/sim/chats/{chat_id}/messages"
    messages = httpx.get(url, timeout=10).json()["messages"]
    found = [m for m in messages if "final results" in m.get("text", "")]
    assert len(found) == 1, [m.get("text", "")[:80] for m in messages]
    message: dict[str, Any] = found[0]
    return message


def my_result_toasts(
    stack: LocalStack, messages: Mapping[int, dict[str, Any]], session_id: int
) -> dict[int, str]:
    """Each player presses 📊 My result under their results message (``messages``: player ->
    message) as a user of the fake API, which delivers the press to the webhook; the toast
    each one sees."""
    data = ResultData(session_id).encode()
    toasts = {}
    with SimClient(stack.sim_url, timeout=15) as sim:
        for player, message in messages.items():
            user = User(sim, {"id": player})
            before = len(user.toasts())
            user.press(message, data=data)
            deadline = time.monotonic() + 15
            while len(seen := user.toasts()) == before:
                assert time.monotonic() < deadline, f"player {player} saw no toast"
                time.sleep(0.05)
            toasts[player] = seen[-1]["text"]
    return toasts


def game_played(
    stack: LocalStack, quiz_file: Path, players: int
) -> tuple[dict[str, Any], dict[int, Ranked], Any]:
    """After a game: the swarm's ground truth, each of the ``players``' expected result
    (:func:`expected_results`) and the session's row (:func:`session_row`)."""
    swarm = swarm_report(stack)
    expected = expected_results(stack, swarm, quiz_file)
    assert len(expected) == players
    return swarm, expected, session_row(stack, swarm["session_id"])


def session_row(stack: LocalStack, session_id: int) -> Any:
    """The session's id, style, chat, participant count and the number of polls it sent."""
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT id, style, chat_id, participant_count,"
                " (SELECT count(*) FROM polls p WHERE p.session_id = s.id) AS polls"
                " FROM sessions s WHERE id = :s"
            ),
            {"s": session_id},
        ).one()
    engine.dispose()
    return row


def assert_my_results(
    stack: LocalStack, session_id: int, chats: Mapping[int, int], expected: Mapping[int, Ranked]
) -> None:
    """Every player's 📊 My result toast, under the results in their chat (``chats``:
    player -> chat), says what ``expected`` does."""
    assert set(chats) == set(expected)
    boards = {chat: results_message(stack, chat) for chat in set(chats.values())}
    toasts = my_result_toasts(
        stack, {player: boards[chat] for player, chat in sorted(chats.items())}, session_id
    )
    for player, mine in expected.items():
        assert toasts[player] == my_result_toast(mine, len(expected), QUESTIONS), player
