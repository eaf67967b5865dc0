"""The ground truth of make test-deploy-multi's quiz, checked against what the hosts did.

Run on the lb+web1 machine as the quizbot user, with the deployment's settings
(QUIZBOT_ENV_FILE), after the swarm finished:

    python multi_check.py SWARM_REPORT SIM_URL FAULTS

It compares the primary's rows with the swarm's report (every acknowledged
answer recorded once, scores recomputed), reads the fake Bot API's journal
(each outbox row delivered, per-chat order, sends beyond the first per row),
and prints the figures as one JSON line; it exits non-zero naming each bound
that failed. FAULTS is how many faults the run injected: at most one duplicate
send per fault.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from quizbot.bench import chaos_report as cr
from quizbot.settings import load_settings
from quizbot.stack.live import check_against_database
from quizbot.store.database import normalize_url


def journal(sim_url: str) -> list[dict[str, Any]]:
    """Every call the fake Bot API accepted, in the order it accepted them."""
    calls: list[dict[str, Any]] = []
    since = 0
    while True:
        with urllib.request.urlopen(f"{sim_url}/sim/calls?since={since}&limit=5000", timeout=30) as r:
            page = json.load(r)
        if not page["calls"]:
            return calls
        calls.extend(page["calls"])
        since = page["next"]


def order_violations(calls: list[dict[str, Any]]) -> int:
    """Rows a chat first received after a later row of the same chat."""
    first: dict[int, tuple[float, int]] = {}
    for c in calls:
        if c["outbox_id"] is not None and c["outbox_id"] not in first:
            first[c["outbox_id"]] = (c["seq"], c["chat_id"])
    violations, highest = 0, {}
    for outbox_id, (_, chat) in sorted(first.items(), key=lambda kv: kv[1][0]):
        if outbox_id < highest.get(chat, 0):
            violations += 1
        highest[chat] = max(highest.get(chat, 0), outbox_id)
    return violations


def main(report_path: str, sim_url: str, faults: int) -> int:
    settings = load_settings()
    with open(report_path) as f:
        swarm = json.load(f)
    direct = normalize_url(settings.database_direct_url)
    target = SimpleNamespace(direct_url=direct, env={}, settings=settings)
    truth = check_against_database(target, swarm, swarm["session_id"])
    engine = sa.create_engine(direct, poolclass=sa.NullPool)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        # The last results go out after the quiz ends: wait (bounded) for the
        # sender to drain the outbox before reading the journal.
        pending_sql = sa.text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')")
        deadline = time.monotonic() + 180
        while conn.scalar(pending_sql) and time.monotonic() < deadline:
            time.sleep(1)
        pending = conn.scalar(pending_sql)
        rows = [
            cr.OutboxRow(r[0], r[1], r[2], r[3], float(r[4]))
            for r in conn.execute(
                sa.text("SELECT id, chat_id, status, error, extract(epoch FROM created_at) FROM outbox")
            )
        ]
    engine.dispose()
    calls = journal(sim_url)
    accepted = cr.first_accepts([cr.Call(float(c["at"]), c["outbox_id"]) for c in calls])
    figures = {
        "players": swarm["players"],
        "answers_sent": swarm["answers_sent"],
        "answers_acknowledged": swarm["answers_acknowledged"],
        "answers_recorded": truth["answers_recorded"],
        "lost": truth["lost"],
        "double_counted": truth["double_counted"],
        "scores_match": truth["scores_match"],
        "session_status": truth["session_status"],
        "outbox_rows": len(rows),
        "outbox_pending": pending,
        "outbox_lost": cr.outbox_lost(rows, accepted),
        "duplicate_sends": cr.duplicate_sends([cr.Call(float(c["at"]), c["outbox_id"]) for c in calls]),
        "order_violations": order_violations(calls),
        "faults": faults,
    }
    print(json.dumps(figures))
    problems = [
        name
        for name, bad in (
            ("quiz not finished", not swarm["finished"] or truth["session_status"] != "finished"),
            ("no answers", swarm["answers_sent"] == 0),
            ("acknowledged answers lost", truth["lost"] != 0),
            ("answers counted wrongly", truth["double_counted"] != 0),
            ("scores differ from a recomputation", not truth["scores_match"]),
            ("outbox rows never delivered", figures["outbox_lost"] != 0),
            ("per-chat order broken", figures["order_violations"] != 0),
            (f"more than {faults} duplicate sends", figures["duplicate_sends"] > faults),
        )
        if bad
    ]
    for problem in problems:
        print(f"FAIL  {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
