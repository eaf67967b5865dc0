"""The swarm's ground truth and the numbers it reports."""

from __future__ import annotations

import orjson
import pytest

from quizbot.sim.swarm.report import (
    AnswerRecord,
    JoinRecord,
    Sent,
    SwarmReport,
    percentile,
)


def answer(
    player: int,
    position: int,
    *,
    ack_ms: float | None = 10.0,
    toast: str | None = "✅ Answer locked in",
    retries: int = 0,
) -> AnswerRecord:
    sent = Sent(update_id=100 + player * 10 + position, sent_at=1000.0 + position)
    sent.retries = retries
    if ack_ms is not None:
        sent.acked_at = sent.sent_at + ack_ms / 1000
        sent.ack_ms = ack_ms
        sent.status = 200
        sent.toast = toast
    else:
        sent.status = 503
        sent.error = "Wrong response from the webhook: 503 Service Unavailable"
    return AnswerRecord(player, 7, position, 1, True, 999.0 + position, sent)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([5.0], 99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        (list(range(1, 101)), 99, 99),
        (list(range(1, 101)), 100, 100),
        ([3.0, 1.0, 2.0], 0, 1.0),
    ],
)
def test_percentile_is_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_acknowledged_answers_count_and_their_latencies_are_kept() -> None:
    report = SwarmReport(players=3, mode="group", quiz="space")
    report.answers = [
        answer(1, 0, ack_ms=12.0),
        answer(2, 0, ack_ms=30.0, retries=2),
        answer(3, 0, ack_ms=None, retries=7),
        answer(1, 1, ack_ms=8.0, toast="⏰ Too late — this question is closed"),
    ]
    assert report.answers_sent == 4
    assert report.answers_acknowledged == 3
    assert sorted(report.ack_latencies_ms) == [8.0, 12.0, 30.0]
    assert report.toasts == {"✅ Answer locked in": 2, "⏰ Too late — this question is closed": 1}
    assert report.retries == 9
    assert {p: [a.position for a in rows] for p, rows in report.per_player().items()} == {
        1: [0, 1],
        2: [0],
        3: [0],
    }


def test_retries_of_joins_commands_and_start_count_too() -> None:
    report = SwarmReport(players=1, mode="private", quiz="space")
    join = Sent(1, 0.0)
    join.retries = 1
    command = Sent(2, 0.0)
    command.retries = 2
    start = Sent(3, 0.0)
    start.retries = 4
    report.joins.append(JoinRecord(10_000_000, "button", join))
    report.commands.append(command)
    report.start = start
    assert report.retries == 7


def test_a_question_counts_as_seen_once_per_player_and_its_makespan_spans_all() -> None:
    report = SwarmReport(players=3, mode="private", quiz="space")
    assert report.saw(0, 1, 100.0)
    assert report.saw(0, 2, 100.5)
    assert not report.saw(0, 2, 109.0)  # a redelivery is not a new sighting
    assert report.saw(0, 3, 102.0)
    assert report.saw(1, 1, 130.0)
    assert report.questions_seen == [0, 1]
    assert report.delivery_makespan_s() == {0: 2.0, 1: 0.0}
    assert report.summary()["delivery_makespan_s"] == 2.0


def test_the_json_report_has_the_headline_numbers_and_the_ground_truth() -> None:
    report = SwarmReport(players=2, mode="group", quiz="space", session_id=7)
    report.answers = [answer(1, 0, ack_ms=10.0), answer(2, 0, ack_ms=20.0)]
    report.joins = [JoinRecord(1, "button", Sent(50, 1.0)), JoinRecord(2, "button", Sent(51, 1.0))]
    report.saw(0, 1, 999.0)
    report.saw(0, 2, 999.0)
    report.finished = True
    data = orjson.loads(orjson.dumps(report.to_json()))
    assert data["players"] == 2 and data["mode"] == "group" and data["session_id"] == 7
    assert (data["answers_sent"], data["answers_acknowledged"]) == (2, 2)
    assert (data["ack_p50_ms"], data["ack_p99_ms"]) == (10.0, 20.0)
    assert data["joins_sent"] == 2 and data["joins_acknowledged"] == 0
    truth = {(a["player_id"], a["position"], a["option"]) for a in data["answers"]}
    assert truth == {(1, 0, 1), (2, 0, 1)}
    assert data["answers"][0]["sent"]["update_id"] == 110
    assert data["deliveries"] == {"0": {"1": 999.0, "2": 999.0}}
    assert "answers" not in report.to_json(details=False)
