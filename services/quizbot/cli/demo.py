"""``quizbot demo``: the whole stack, a live quiz with simulated players, and a report."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import orjson

from quizbot.cli.termination import interrupt_on_sigterm
from quizbot.settings import load_settings

REPORT_ROWS: list[tuple[str, str | tuple[str, str]]] = [
    ("players", "players"),
    ("mode", "mode"),
    ("answers sent", "answers_sent"),
    ("answers acknowledged", "answers_acknowledged"),
    ("answers recorded", "answers_recorded"),
    ("lost / double-counted", ("lost", "double_counted")),
    ("scores match an independent computation", "scores_match"),
    ("messages delivered", "messages_delivered"),
    ("429s from Telegram", "retry_after_429"),
    ("ack latency p50 / p99 (ms)", ("ack_p50_ms", "ack_p99_ms")),
    ("question delivery makespan (s)", "delivery_makespan_s"),
    ("rate-limit floor per question (s)", "rate_floor_s"),
    ("commits for the results", "results_commits"),
    ("peak PostgreSQL connections", "pg_backends_peak"),
    ("CPU per answer, web / machine (µs)", ("cpu_us_per_answer_web", "cpu_us_per_answer_total")),
    ("duration (s)", "duration_s"),
]


def report_table(report: dict[str, Any]) -> Any:
    """The report as a rich table."""
    from rich.table import Table

    table = Table(title="quizbot live quiz", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, key in REPORT_ROWS:
        if isinstance(key, tuple):
            value = " / ".join(str(report.get(k)) for k in key)
        else:
            value = str(report.get(key))
        table.add_row(label, value)
    return table


def run_live(
    players: int, mode: str, quiz: str, as_json: bool, keep: Path | None, env: dict[str, str]
) -> dict[str, Any]:
    """Start the stack, play one live quiz, stop everything; the report."""
    from rich.console import Console
    from rich.live import Live

    from quizbot.stack.live import LiveOptions, Progress, play_live
    from quizbot.stack.local import LocalStack

    console = Console(stderr=True)
    settings = load_settings()
    options = LiveOptions(players=players, mode=mode, quiz=quiz)
    root = keep or Path(tempfile.mkdtemp(prefix="quizbot-run-", dir=_var(settings)))
    stack = LocalStack(settings, root, players_args=options.swarm_args(), env=env)
    with console.status("starting PostgreSQL, pgbouncer and supervisord…"):
        stack.start()
    console.print(f"stack up: web {stack.web_url}, fake Telegram {stack.sim_url}, run dir {root}")
    try:
        with Live(console=console, refresh_per_second=4, transient=True) as live:

            def show(p: Progress) -> None:
                question = f"{p.position + 1}/{p.question_count}" if p.position >= 0 else "lobby"
                live.update(
                    f"[bold]{players} players[/] ({mode}) · {p.session_status} {question} · "
                    f"answers recorded {p.answers_recorded} · messages delivered "
                    f"{p.messages_delivered} · PostgreSQL connections {p.pg_backends} "
                    f"(peak {p.pg_backends_peak})"
                )

            report = play_live(stack, options, on_progress=show)
    finally:
        with console.status("stopping everything…"):
            orphans = stack.stop()
    report["orphans_left"] = len(orphans)
    if not as_json:
        console.print(report_table(report))
    return report


def _var(settings: Any) -> str:
    path = Path(settings.quizbot_var_dir)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


@click.command()
@click.option("--players", default=200, show_default=True, help="Simulated players.")
@click.option("--mode", type=click.Choice(["group", "private"]), default="group", show_default=True)
@click.option("--quiz", default="world-capitals", show_default=True, help="Sample quiz slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run directory to use and keep (logs, rendered config, ground truth).",
)
def demo(players: int, mode: str, quiz: str, as_json: bool, keep: Path | None) -> None:
    """Run the whole stack locally and play a live quiz with simulated players.

    PostgreSQL is embedded unless DATABASE_URL is set; pgbouncer is used when
    installed. supervisord runs web, sender, writer and the fake Telegram from the
    same config files as production; the swarm plays; the report compares what
    players saw with what the database holds. Everything is stopped at the end.
    """
    interrupt_on_sigterm()
    started = time.monotonic()
    report = run_live(players, mode, quiz, as_json, keep, env={})
    report["wall_s"] = round(time.monotonic() - started, 1)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    healthy = (
        report.get("finished")
        and report.get("lost") == 0
        and report.get("double_counted") == 0
        and report.get("orphans_left") == 0
    )
    sys.exit(0 if healthy else 1)
