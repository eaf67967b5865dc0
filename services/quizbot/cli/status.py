"""``quizbot status``: one screen of the figures an operator watches."""

from __future__ import annotations

import time
from typing import Any

import click
import orjson

from quizbot.ops.status import collect
from quizbot.settings import load_settings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--watch",
    type=float,
    default=None,
    is_flag=False,
    flag_value=2.0,
    help="Refresh every N seconds (default 2) until Ctrl-C.",
)
def status(as_json: bool, watch: float | None) -> None:
    """Program states, outbox, live sessions, answers/s, ack p99, 429s, pools, replica, errors.

    Each figure names its source: supervisor (its socket; root on the VM),
    postgresql, pgbouncer (admin console) or prometheus (statsd via collectd,
    when PROMETHEUS_URL is set).
    """
    settings = load_settings()
    if as_json:
        while True:
            click.echo(orjson.dumps(collect(settings)).decode())
            if watch is None:
                return
            time.sleep(watch)
    from rich.console import Console
    from rich.live import Live

    if watch is None:
        Console().print(screen(collect(settings)))
        return
    with Live(screen(collect(settings)), auto_refresh=False) as live:
        try:
            while True:
                time.sleep(watch)
                live.update(screen(collect(settings)), refresh=True)
        except KeyboardInterrupt:
            pass


def _shown(fig: dict[str, Any], render: Any = str) -> str:
    if "error" in fig:
        return f"[red]unavailable[/] ({fig['error']})"
    return str(render(fig["value"]))


def screen(st: dict[str, Any]) -> Any:
    """The status as one rich table: figure, value, source."""
    from rich.table import Table

    table = Table(title=f"quizbot status · {time.strftime('%H:%M:%S', time.localtime(st['at']))}")
    table.add_column("figure", style="bold")
    table.add_column("value")
    table.add_column("source", style="dim")

    def states(value: dict[str, str]) -> str:
        return "  ".join(
            f"{name} [{'green' if s == 'RUNNING' else 'red'}]{s}[/]" for name, s in value.items()
        )

    def outbox(v: dict[str, Any]) -> str:
        age = "-" if v["oldest_pending_s"] is None else f"{v['oldest_pending_s']} s"
        return f"{v['pending']} pending, {v['claimed']} claimed; oldest pending {age}"

    def sessions(v: dict[str, Any]) -> str:
        modes = ", ".join(f"{m} {d['sessions']}" for m, d in v["by_mode"].items())
        return f"{v['total']} ({modes or 'none'}), {v['players']} players"

    def pools(rows: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{r['database']}/{r['user']}: clients {r['cl_active']} active "
            f"{r['cl_waiting']} waiting; servers {r['sv_active']} active {r['sv_idle']} idle; "
            f"max wait {r['maxwait']} s"
            for r in rows
        )

    def number(v: float | None) -> str:
        return "no data" if v is None else f"{v:.1f}"

    rows: list[tuple[str, dict[str, Any], Any]] = [
        ("programs", st["programs"], states),
        ("outbox", st["outbox"], outbox),
        ("live sessions", st["live_sessions"], sessions),
        ("answers / s", st["answers_per_s"], number),
        ("ack p99 (ms)", st["ack_p99_ms"], number),
        ("429s / min", st["retry_after_429_per_min"], number),
        ("pgbouncer pools", st["pgbouncer_pools"], pools),
        ("replica lag (s)", st["replica_lag_s"], str),
        ("last outbox errors", st["last_errors"]["outbox"], _errors),
        ("last program errors", st["last_errors"]["programs"], lambda v: "\n".join(v) or "none"),
    ]
    for label, fig, render in rows:
        table.add_row(label, _shown(fig, render), fig["source"])
    return table


def _errors(rows: list[dict[str, Any]]) -> str:
    return (
        "\n".join(
            f"#{r['id']} {r['method']} chat {r['chat_id']} {r['status']}: {r['error']}"
            for r in rows
        )
        or "none"
    )
