"""The chaos report's definitions, on hand-made facts."""

from __future__ import annotations

from quizbot.bench.chaos_report import (
    Call,
    OutboxRow,
    ack_p99_outside,
    duplicate_sends,
    first_accepts,
    outbox_lost,
    recovery,
    verdict,
)
from quizbot.stack.faults import Injected


def _row(id: int, status: str = "sent", error: str | None = None, at: float = 0.0) -> OutboxRow:
    return OutboxRow(id, chat_id=1, status=status, error=error, created_at=at)


def test_a_row_accepted_twice_is_one_duplicate_and_untagged_calls_are_not_counted() -> None:
    calls = [Call(1.0, 7), Call(2.0, 7), Call(3.0, 7), Call(1.5, 8), Call(1.6, None)]
    assert duplicate_sends(calls) == 2
    assert first_accepts(calls) == {7: 1.0, 8: 1.5}


def test_lost_rows_are_undelivered_ones_not_given_up_for_telegrams_reason() -> None:
    rows = [
        _row(1),  # accepted: delivered
        _row(2, "pending"),  # still queued: lost
        _row(3, "dropped", "Forbidden: bot was blocked by the user"),  # Telegram said so
        _row(4, "dead", "Bad Gateway"),  # Telegram's 5xx, retries exhausted
        _row(5, "dead", "Timed out: ServerTimeoutError"),  # the sender's own transport
        _row(6, "claimed"),  # sent but the status never written: accepted, so delivered
    ]
    assert outbox_lost(rows, {1: 1.0, 6: 2.0}) == 2


def test_recovery_is_the_later_of_the_first_ack_and_the_first_due_message() -> None:
    fault = Injected("pgbouncer_down", started_at=100.0, back_at=130.0)
    rows = [
        _row(1, at=90.0),  # delivered before the fault: not a candidate
        _row(2, at=110.0),  # due during the outage: due at the back moment
        _row(3, at=135.0),
    ]
    accepted = {1: 91.0, 2: 132.5, 3: 135.1}
    got = recovery(fault, acks=[99.0, 131.0, 140.0], rows=rows, accepted=accepted)
    assert got == {"ack_recovery_s": 1.0, "delivery_recovery_s": 2.5, "recovery_s": 2.5}


def test_a_message_due_later_counts_from_when_it_was_due() -> None:
    fault = Injected("kill_writer", started_at=10.0, back_at=11.0)
    got = recovery(fault, acks=[11.2], rows=[_row(1, at=20.0)], accepted={1: 20.3})
    assert got["delivery_recovery_s"] == 0.3
    assert got["recovery_s"] == 0.3


def test_an_answer_finished_in_flight_is_no_recovery_while_new_probes_still_fail() -> None:
    # The web master killed at 19.0: a surviving worker acknowledges one answer
    # at 19.05, probes sent at 19.3 and 19.4 get no answer, the new master
    # answers from 19.6. A failed probe of the next fault (at 30) does not count.
    fault = Injected("kill_web_master", started_at=19.0, back_at=19.0)
    acks = [19.05, 19.6, 20.0]
    got = recovery(fault, acks, [], {}, failed=[19.3, 19.4, 31.0], until=30.0)
    assert got["ack_recovery_s"] == 0.6
    assert recovery(fault, acks, [], {})["ack_recovery_s"] == 0.05


def test_no_acknowledgement_after_the_fault_means_no_recovery() -> None:
    fault = Injected("postgres_down", started_at=10.0, back_at=25.0)
    got = recovery(fault, acks=[5.0], rows=[], accepted={})
    assert got == {"ack_recovery_s": None, "delivery_recovery_s": None, "recovery_s": None}


def test_p99_outside_faults_ignores_answers_sent_inside_a_window() -> None:
    answers = [{"sent": {"sent_at": float(t), "ack_ms": 10.0}} for t in range(100)]
    answers += [{"sent": {"sent_at": 50.5, "ack_ms": 9000.0}}] * 2
    assert ack_p99_outside({"answers": answers}, [(50.0, 51.0)]) == 10.0
    assert ack_p99_outside({"answers": answers}, []) == 9000.0


def test_the_verdict_names_each_failed_limit() -> None:
    report = {
        "lost": 0,
        "double_counted": 0,
        "outbox_lost": 1,
        "scores_match": True,
        "finished": True,
        "duplicate_sends": 3,
        "programs_running_after": {"quizbot:sender": "FATAL", "quizbot:web": "RUNNING"},
        "faults": [{"kind": "kill_sender", "recovery_s": 6.0}],
        "ack_p99_ms_outside_faults": 20.0,
    }
    limits = {"recovery_s": 5.0, "duplicate_sends": 2.0, "ack_p99_ms": 150.0}
    assert verdict(report, limits) == [
        "outbox_lost = 1",
        "duplicate_sends 3 > 2.0",
        "programs not RUNNING at the end: {'quizbot:sender': 'FATAL'}",
        "kill_sender recovery_s 6.0 > 5.0",
    ]
