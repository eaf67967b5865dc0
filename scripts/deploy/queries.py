"""Every query of the alert rules and the Grafana dashboard against a real Prometheus.

Run by scripts/deploy/smoke.sh inside the test-deploy guest, after its quizzes:

    python3 queries.py DASHBOARD_JSON [PROMETHEUS_URL]

For each alert rule (as Prometheus loaded it, /api/v1/rules) and each panel:
  - Prometheus accepts the query (/api/v1/query answers success: valid PromQL);
  - each vector selector in it has had series within the last hour, i.e. it
    names what collectd's write_prometheus (quizbot's statsd figures, the
    processes, pgbouncer's pools) and the exporters really expose;
  - a panel shows data over the last 15 minutes.
Selectors that have no series until a fault happens (FAULT_ONLY) are checked
by their metric's name only; the promtool rule tests feed them. Standard
library only: the guest's python3 runs it.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

# statsd names that appear with their first fault, and what produces it.
FAULT_ONLY = {
    "sender\\\\.429": "a 429 from Telegram",
    "webhook\\\\.5[0-9][0-9]": "a webhook 5xx",
}
# Panels that chart nothing on a lone primary, and what they need.
NEEDS = {"pg_replication_is_replica": "a replica"}
KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan",
}  # fmt: skip
MATCHERS = r'\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\}'
NAME = r"[A-Za-z_:][A-Za-z0-9_:]*"


def selectors(expr: str) -> list[str]:
    """The vector selectors of a PromQL expression: a metric name and/or its {matchers}."""
    blocks: list[str] = []

    def keep(m: re.Match[str]) -> str:
        blocks.append(m.group(0))
        return f" #{len(blocks) - 1} "

    text = re.sub(MATCHERS, keep, expr)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", text)  # label_replace's arguments
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range durations
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = []
    for m in re.finditer(rf"({NAME})?\s*(#\d+)?", text):
        name, block = m.group(1), m.group(2)
        if name and (name.lower() in KEYWORDS or re.match(r"\s*\(", text[m.end(1) :])):
            name = None  # a function or an operator
        if name or block:
            found.append((name or "") + (blocks[int(block[1:])] if block else ""))
    return found


def fault_only(selector: str) -> bool:
    """Whether the selector's series exist only once some fault has happened."""
    return any(marker in selector for marker in FAULT_ONLY)


def check(base: str, dashboard: dict[str, Any]) -> tuple[list[str], str]:
    """Problems found (empty: all good), and a one-line summary."""

    def api(path: str, **params: Any) -> dict[str, Any]:
        url = f"{base}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return dict(json.load(resp))
        except urllib.error.HTTPError as exc:  # 400: a query Prometheus cannot parse
            return dict(json.load(exc))

    groups = api("/api/v1/rules")["data"]["groups"]
    queries = [(f"alert {r['name']}", r["query"], False) for g in groups for r in g["rules"]]
    queries += [
        (f"panel {p['title']!r}", t["expr"], True)
        for p in dashboard["panels"]
        for t in p["targets"]
    ]
    problems: list[str] = []
    seen: set[str] = set()
    end = time.time()
    for what, expr, panel in queries:
        answer = api("/api/v1/query", query=expr)
        if answer["status"] != "success":
            problems.append(f"{what}: Prometheus rejects the query: {answer.get('error')}")
            continue
        found = selectors(expr)
        if not found:
            problems.append(f"{what}: no metric found in {expr}")
        for sel in found:
            name = re.match(NAME, sel)
            probe = name.group(0) if (fault_only(sel) and name) else sel
            series = api("/api/v1/query", query=f"count(last_over_time({probe}[1h]))")
            if not series["data"]["result"]:
                problems.append(f"{what}: no series for {probe}")
            seen.add(sel)
        # The quizzes played in the last minutes must show on every panel but
        # those that chart a fault or a replica.
        if panel and not any(map(fault_only, found)) and not any(n in expr for n in NEEDS):
            data = api("/api/v1/query_range", query=expr, start=end - 900, end=end, step=15)
            if not data["data"]["result"]:
                problems.append(f"{what}: no data in the last 15 min: {expr}")
    summary = (
        f"{len(queries)} queries accepted, {len(seen)} selectors with series "
        f"(by name only, until {' or '.join(FAULT_ONLY.values())}); "
        f"every panel has data but those that need {' or '.join(NEEDS.values())}"
    )
    return problems, summary


def main() -> None:
    """Check, print the summary, exit 1 with the problems if any."""
    with open(sys.argv[1]) as f:
        dashboard = json.load(f)
    base = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9090"
    problems, summary = check(base.rstrip("/"), dashboard)
    if problems:
        sys.exit("\n".join(problems))
    print(summary)


if __name__ == "__main__":
    main()
