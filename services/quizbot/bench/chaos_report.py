"""What the chaos bench concludes from the run's ground truth.

The inputs are facts recorded while the quiz ran: every faulted part's back
moment, the answer probes, the swarm's answers, the outbox rows and the fake
Bot API's journal of accepted calls, each naming the outbox row it delivered
(the sender's ``X-Quizbot-Outbox-Id`` header). Everything here is a pure
function of them, so the definitions below are the report's definitions.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from quizbot.bench.probe import ProbeResult
from quizbot.stack.faults import Injected


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An outbox row as the run left it; ``created_at`` is when it became due."""

    id: int
    chat_id: int
    status: str
    error: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class Call:
    """One call the fake Bot API accepted, and the outbox row it came from."""

    at: float
    outbox_id: int | None


# Stored errors that did not come from Telegram's answer: the sender gave up on
# its own transport (timeouts, dropped connections), not on Telegram's word.
_TRANSPORT = re.compile(r"timed out|aiohttp|network|connect|disconnect", re.IGNORECASE)


def first_accepts(calls: Iterable[Call]) -> dict[int, float]:
    """Outbox row id -> when the fake API first accepted a call for it."""
    first: dict[int, float] = {}
    for call in calls:
        if call.outbox_id is not None and (
            call.outbox_id not in first or call.at < first[call.outbox_id]
        ):
            first[call.outbox_id] = call.at
    return first


def duplicate_sends(calls: Iterable[Call]) -> int:
    """Accepted calls beyond the first for the same outbox row."""
    per_row = Counter(c.outbox_id for c in calls if c.outbox_id is not None)
    return sum(n - 1 for n in per_row.values() if n > 1)


def outbox_lost(rows: Iterable[OutboxRow], accepted: dict[int, float]) -> int:
    """Rows never delivered and not dead-lettered for a reason Telegram gave.

    A row counts as delivered when the fake API accepted a call for it (even if
    its ``sent`` status was never written back). A ``dropped`` or ``dead`` row
    is given up for Telegram's reason (403 blocked, a 400, retries of 5xx
    exhausted) unless its stored error is the sender's own transport failure.
    """
    lost = 0
    for row in rows:
        if row.id in accepted:
            continue
        gave_up = row.status in ("dropped", "dead")
        if not gave_up or row.error is None or _TRANSPORT.search(row.error):
            lost += 1
    return lost


def answer_acks(swarm: dict[str, Any], probes: Sequence[ProbeResult]) -> list[float]:
    """Every moment an answer (a player's or a probe) was acknowledged, sorted."""
    acks = [
        float(a["sent"]["acked_at"])
        for a in swarm.get("answers", [])
        if a["sent"].get("acked_at") is not None
    ]
    acks.extend(p.done_at for p in probes if p.acknowledged)
    return sorted(acks)


def recovery(
    fault: Injected,
    acks: Sequence[float],
    rows: Sequence[OutboxRow],
    accepted: dict[int, float],
    failed: Sequence[float] = (),
    until: float = float("inf"),
) -> dict[str, Any]:
    """How long after ``fault``'s part was back the product worked again.

    - ``ack_recovery_s``: from the back moment to the first answer acknowledged
      at or after it, and after every probe that failed between the back
      moment and ``until`` (the next fault) was sent: an answer a surviving
      process finished in flight is no recovery while new ones still fail
      (``failed``: when each unacknowledged probe was sent);
    - ``delivery_recovery_s``: for the first message due after the back moment
      (the oldest row still undelivered then, or else the next row created),
      from the later of its due time and the back moment until the fake API
      accepted it. Rows that Telegram refused for good (blocked chats) are not
      candidates: they can never be accepted.

    ``recovery_s`` is the larger of the two (None when either never happened).
    """
    back = fault.back_at
    working_from = max([back, *(t for t in failed if back <= t < until)])
    ack = next((t for t in acks if t >= working_from), None)
    candidates = [
        (max(r.created_at, back), r.id)
        for r in rows
        if accepted.get(r.id, float("inf")) >= back and not _refused(r, accepted)
    ]
    delivery: float | None = None
    if candidates:
        due, row_id = min(candidates)
        if row_id in accepted:
            delivery = accepted[row_id] - due
    ack_s = None if ack is None else ack - back
    both = None if ack_s is None or delivery is None else max(ack_s, delivery)
    return {
        "ack_recovery_s": _round(ack_s),
        "delivery_recovery_s": _round(delivery),
        "recovery_s": _round(both),
    }


def _refused(row: OutboxRow, accepted: dict[int, float]) -> bool:
    return row.id not in accepted and row.status in ("dropped", "dead")


def windows(faults: Sequence[Injected], reports: Sequence[dict[str, Any]], end: float) -> list:
    """Each fault's window: from the fault until its recovery (the run's end if none)."""
    spans = []
    for fault, report in zip(faults, reports, strict=True):
        rec = report.get("recovery_s")
        spans.append((fault.started_at, end if rec is None else fault.back_at + rec))
    return spans


def ack_p99_outside(swarm: dict[str, Any], spans: Sequence[tuple[float, float]]) -> float | None:
    """p99 of ack latency over the players' answers sent outside every fault window."""
    latencies = sorted(
        float(a["sent"]["ack_ms"])
        for a in swarm.get("answers", [])
        if a["sent"].get("ack_ms") is not None
        and not any(lo <= a["sent"]["sent_at"] <= hi for lo, hi in spans)
    )
    if not latencies:
        return None
    return round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1)


def figures(
    done: list[tuple[Injected | None, str, str | None]],
    probes: list[ProbeResult],
    rows: list[OutboxRow],
    calls: list[Call],
    swarm: dict[str, Any],
    t0: float,
) -> dict[str, Any]:
    """The report's figures from what the run recorded (``done``: each planned fault,
    as injected, or None with the error that kept it from happening)."""
    accepted = first_accepts(calls)
    acks = answer_acks(swarm, probes)
    injected = [f for f, _, _ in done if f is not None]
    failed = sorted(p.sent_at for p in probes if not p.acknowledged)
    nexts = [f.started_at for f in injected[1:]] + [float("inf")]
    recoveries = [
        recovery(f, acks, rows, accepted, failed, until)
        for f, until in zip(injected, nexts, strict=True)
    ]
    spans = windows(injected, recoveries, time.time())
    faults: list[dict[str, Any]] = []
    found = iter(zip(injected, recoveries, strict=True))
    for fault, kind, error in done:
        if fault is None:
            faults.append({"kind": kind, "error": error, "recovery_s": None})
            continue
        _, rec = next(found)
        faults.append(
            {
                "kind": kind,
                "at_s": round(fault.started_at - t0, 2),
                "outage_s": 0.0 if kind.startswith("kill") else round(fault.outage_s, 2),
                **rec,
                "detail": fault.detail,
            }
        )
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    return {
        "faults": faults,
        "outbox_rows": len(rows),
        "outbox_by_status": by_status,
        "outbox_lost": outbox_lost(rows, accepted),
        "duplicate_sends": duplicate_sends(calls),
        "calls_without_outbox_id": sum(1 for c in calls if c.outbox_id is None),
        # Rows marked sent with no accepted call naming them: 0 proves the mapping exact.
        "sent_rows_without_call": sum(
            1 for r in rows if r.status == "sent" and r.id not in accepted
        ),
        "ack_p99_ms_outside_faults": ack_p99_outside(swarm, spans),
        "probes": len(probes),
        "probes_acknowledged": sum(1 for p in probes if p.acknowledged),
        "timeline": {
            "t0": t0,
            "windows": spans,
            "probe_failures": [p.sent_at for p in probes if not p.acknowledged],
            "accepted": sorted(c.at for c in calls),
        },
    }


def verdict(report: dict[str, Any], limits: dict[str, float]) -> list[str]:
    """What the run failed of the issue's "done when" (an empty list is a pass)."""
    failures = []
    for key in ("lost", "double_counted", "outbox_lost"):
        if report.get(key) != 0:
            failures.append(f"{key} = {report.get(key)}")
    if report.get("scores_match") is not True:
        failures.append("scores do not match")
    if not report.get("finished"):
        failures.append("the quiz did not finish")
    if report.get("duplicate_sends", 0) > limits["duplicate_sends"]:
        failures.append(
            f"duplicate_sends {report.get('duplicate_sends')} > {limits['duplicate_sends']}"
        )
    not_running = {k: v for k, v in report["programs_running_after"].items() if v != "RUNNING"}
    if not_running:
        failures.append(f"programs not RUNNING at the end: {not_running}")
    for fault in report["faults"]:
        rec = fault.get("recovery_s")
        if fault.get("error"):
            failures.append(f"{fault['kind']}: {fault['error']}")
        elif rec is None or rec > limits["recovery_s"]:
            failures.append(f"{fault['kind']} recovery_s {rec} > {limits['recovery_s']}")
    p99 = report.get("ack_p99_ms_outside_faults")
    if "ack_p99_ms" in limits and (p99 is None or p99 > limits["ack_p99_ms"]):
        failures.append(f"ack_p99_ms_outside_faults {p99} > {limits['ack_p99_ms']}")
    return failures


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
