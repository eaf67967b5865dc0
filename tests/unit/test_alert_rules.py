"""The Prometheus alert rules in config/prometheus: valid, and each fed with series by promtool."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

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
    import yaml

    queries = " ".join(_panel_queries())
    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            for selector in _queries_module().selectors(rule["expr"]):
                assert selector in queries, f"{rule['alert']}: {selector} is on no panel"


def _queries_module() -> Any:
    path = PROMETHEUS.parents[1] / "scripts" / "deploy" / "queries.py"
    spec = importlib.util.spec_from_file_location("deploy_queries", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_query_names_metrics_of_the_exporters_prometheus_scrapes() -> None:
    """What make test-deploy checks against a real Prometheus reads every selector.

    scripts/deploy/queries.py extracts the selectors whose series the guest
    must have; here, on the shipped rules and dashboard: none is missed, and
    each names a metric of collectd (statsd, processes, pgbouncer's pools),
    the node exporter, the PostgreSQL exporter or Prometheus's own ``up``.
    """
    import yaml

    queries = _queries_module()
    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]] + _panel_queries()
    families = re.compile(
        r'^(collectd_statsd_(gauge|derive_total|latency)\{statsd=~?"quizbot(\\\\)?\.'
        r"|collectd_processes_ps_count_processes\{"
        r'|collectd_postgresql_gauge\{postgresql="pgbouncer"'
        r"|node_|pg_|up$)"
    )
    for expr in exprs:
        found = queries.selectors(expr)
        assert found, expr
        for selector in found:
            assert families.match(selector), (
                f"{selector} (in {expr}) is no metric Prometheus scrapes"
            )
    # The extraction itself, on the hardest shapes the files hold.
    assert queries.selectors(
        'sum(rate(a{s=~"x\\\\.5[0-9]"}[5m])) / sum(rate(a{s=~"x\\\\.[0-9]{3}"}[5m]))'
    ) == ['a{s=~"x\\\\.5[0-9]"}', 'a{s=~"x\\\\.[0-9]{3}"}']
    assert queries.selectors(
        'max by (pool) (label_replace(g{t=~"w-.+"}, "pool", "$1", "t", "w-(.+)")) > 10'
    ) == ['g{t=~"w-.+"}']
    assert queries.selectors("lag > 30 and on (instance) replica == 1") == ["lag", "replica"]
