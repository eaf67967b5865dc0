"""The Prometheus alert rules in config/prometheus: valid, and each fed with series by promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool

PROMETHEUS = Path(__file__).resolve().parents[2] / "config" / "prometheus"


@pytest.fixture
def promtool() -> str:
    return require_tool(shutil.which("promtool"), "promtool", "prometheus")


def _run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS
    )


def test_the_alert_rules_are_valid(promtool: str) -> None:
    done = _run(promtool, "check", "rules", "rules.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_fires_on_its_series_and_stays_quiet_otherwise(promtool: str) -> None:
    done = _run(promtool, "test", "rules", "tests/rules_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_unit_test_and_a_runbook_entry() -> None:
    import yaml

    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    tests = yaml.safe_load((PROMETHEUS / "tests" / "rules_test.yml").read_text())
    tested = {a["alertname"] for t in tests["tests"] for a in t.get("alert_rule_test", [])}
    assert alerts - tested == set()
    runbook = (PROMETHEUS.parents[1] / "docs" / "operations.md").read_text().lower()
    for group in rules["groups"]:
        for rule in group["rules"]:
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert f"### {anchor}" in runbook, f"docs/operations.md has no section {anchor}"


DASHBOARD = PROMETHEUS.parent / "grafana" / "quizbot-dashboard.json"


def _panel_queries() -> list[str]:
    import json

    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    import yaml

    # promtool checks PromQL only inside rules: each panel becomes a recording rule.
    recorded = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"panel_{i}", "expr": q} for i, q in enumerate(_panel_queries())
                ],
            }
        ]
    }
    (tmp_path / "panels.yml").write_text(yaml.safe_dump(recorded))
    done = _run(promtool, "check", "rules", str(tmp_path / "panels.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dashboard_shows_every_figure_an_alert_watches() -> None:
    import re

    import yaml

    queries = " ".join(_panel_queries())
    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            for selector in re.findall(
                r'[a-z_]+\{statsd=~?"[^"]+"\}|\b(?:pg|pgbouncer|node)_[a-z_]+', rule["expr"]
            ):
                assert selector in queries, f"{rule['alert']}: {selector} is on no panel"
