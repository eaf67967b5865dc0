"""``quizbot bench ingest``: durable answers per second through the real web tier.

Self-contained: it uses the configured PostgreSQL (or the embedded one), makes
a scratch database, puts a private pgbouncer in front when one is installed,
and starts gunicorn from ``config/gunicorn.conf.py`` with FASTAPI_WORKERS=2,
once per phase:

1. group commit, closed loop at ``--connections`` (Telegram's maximum is 100);
2. naive commit (one transaction per answer), the same closed loop;
3. group commit, open loop at ``--rate`` answers per second.

Each phase seeds a live session with an open question and enough players,
posts callback queries with unique update ids, then checks that every answer
acknowledged with "locked in" is a row in the database. CPU comes from /proc:
the gunicorn workers' own time, and the whole machine's busy time.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import uvloop

from quizbot.bench.loadgen import LoadResult, Target, closed_loop, open_loop, percentile
from quizbot.bench.scratch import (
    CHAT_ID,
    FIRST_PLAYER,
    Configured,
    Scratch,
    cleanup,
    recorded,
    seed,
)
from quizbot.bench.webserver import WebServer
from quizbot.procstat import delta_s, machine_busy_s, processes_cpu_s
from quizbot.settings import Settings, load_settings

SECRET = "bench-secret"
WARMUP = 400


@dataclass(frozen=True)
class Phase:
    """One measured run."""

    commit_mode: str  # "group" or "naive"
    load: str  # "closed-loop" or "open-loop"
    connections: int
    rate: float | None
    duration_s: float


def commit_totals(base_url: str, tries: int = 24) -> dict[int, tuple[int, int]]:
    """(batches, answers) committed so far, per worker pid, from /monitoring/stats.

    Each request reaches one worker; asking a few times finds them all.
    Empty when the page is not reachable (a remote server without the token).
    """
    totals: dict[int, tuple[int, int]] = {}
    context = ssl._create_unverified_context() if base_url.startswith("https") else None
    for _ in range(tries):
        try:
            with urllib.request.urlopen(
                f"{base_url}/monitoring/stats", timeout=5, context=context
            ) as response:
                body = json.loads(response.read())
        except (OSError, ValueError):
            return totals
        commit = body["commit"]
        totals[int(body["worker"]["pid"])] = (int(commit["batches"]), int(commit["answers"]))
    return totals


def answers_per_commit(
    before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]]
) -> float | None:
    """Mean answers per flush between two readings, over the workers seen in both."""
    pids = before.keys() & after.keys()
    batches = sum(after[p][0] - before[p][0] for p in pids)
    answers = sum(after[p][1] - before[p][1] for p in pids)
    return round(answers / batches, 2) if batches > 0 else None


async def _load(phase: Phase, target: Target, max_requests: int) -> LoadResult:
    if phase.load == "open-loop":
        assert phase.rate is not None
        return await open_loop(
            target,
            rate=phase.rate,
            connections=phase.connections,
            duration_s=phase.duration_s,
            max_requests=max_requests,
            first=WARMUP,
        )
    return await closed_loop(
        target,
        connections=phase.connections,
        duration_s=phase.duration_s,
        max_requests=max_requests,
        first=WARMUP,
    )


def run_phase(
    phase: Phase,
    scratch: Scratch | Configured,
    *,
    max_requests: int,
    url: str | None,
    secret: str,
) -> dict[str, Any]:
    """Start gunicorn (unless ``url``), seed a session, load it, and check durability."""
    players = WARMUP + max_requests
    session_id = seed(scratch.direct_url, players)
    server: WebServer | None = None
    if url is None:
        env = {
            "DATABASE_URL": scratch.pooled_url,
            "COMMIT_MODE": phase.commit_mode,
            "FASTAPI_WORKERS": "2",
            "WEBHOOK_SECRET": secret,
            "BOT_USERNAME": "quizbot_bench_bot",
            "QUIZBOT_ENV_FILE": "",
            "LOG_LEVEL": "warning",
        }
        log_path = scratch.work_dir / f"gunicorn-{phase.commit_mode}-{phase.load}.log"
        server = WebServer(env=env, log_path=log_path).start()
        url = server.url
    target = Target(
        url=f"{url}/telegram/webhook",
        secret=secret,
        session_id=session_id,
        chat_id=CHAT_ID,
        first_player=FIRST_PLAYER,
        first_update_id=int(time.time() * 1000) % 10**12 * 1000,
    )
    try:
        # uvloop (installed with uvicorn[standard]): the load generator shares the
        # machine with what it measures, so it should spend as little CPU as it can.
        uvloop.run(closed_loop(target, connections=20, duration_s=10, max_requests=WARMUP))
        pids = server.worker_pids() if server else []
        commits_before = commit_totals(url)
        db_pids = scratch.server_pids()
        web_before, db_before = processes_cpu_s(pids), processes_cpu_s(db_pids)
        busy_before = machine_busy_s()
        self_before = sum(os.times()[:2])
        result = uvloop.run(_load(phase, target, max_requests))
        web_cpu = delta_s(web_before, processes_cpu_s(pids))
        db_cpu = delta_s(db_before, processes_cpu_s(scratch.server_pids()))
        busy = machine_busy_s() - busy_before
        loadgen_cpu = sum(os.times()[:2]) - self_before
        per_commit = answers_per_commit(commits_before, commit_totals(url))
    finally:
        if server is not None:
            server.stop()
    stored = recorded(scratch.direct_url, session_id, FIRST_PLAYER + WARMUP)
    if isinstance(scratch, Configured):
        last = target.first_update_id + WARMUP + max_requests
        cleanup(scratch.direct_url, session_id, target.first_update_id, last)
    acked = result.acknowledged
    per_s = acked / result.elapsed_s if result.elapsed_s else 0.0
    return {
        "mode": phase.commit_mode,
        "load": phase.load,
        "connections": phase.connections,
        "rate": phase.rate,
        "duration_s": round(result.elapsed_s, 2),
        "sent": result.sent,
        "answers_per_s": round(per_s, 1),
        "p50_ms": round(percentile(result.latencies_ms, 0.50), 2),
        "p99_ms": round(percentile(result.latencies_ms, 0.99), 2),
        "max_ms": round(max(result.latencies_ms, default=0.0), 2),
        "errors": result.errors,
        "statuses": result.status_counts,
        "acknowledged": acked,
        "recorded": stored,
        "lost": max(0, acked - stored),
        "answers_per_commit": per_commit,
        "cpu_us_per_answer_web": round(web_cpu / acked * 1e6, 1) if acked and pids else None,
        # PostgreSQL backends serving the scratch database, and its pgbouncer.
        "cpu_us_per_answer_db": round(db_cpu / acked * 1e6, 1) if acked and db_pids else None,
        "cpu_us_per_answer_total": round(busy / acked * 1e6, 1) if acked else None,
        "cpu_us_per_answer_loadgen": round(loadgen_cpu / acked * 1e6, 1) if acked else None,
        # The machine minus this process (the load generator): web, pgbouncer,
        # PostgreSQL, and whatever else shares the machine.
        "cpu_us_per_answer_server": round((busy - loadgen_cpu) / acked * 1e6, 1) if acked else None,
    }


def run(
    settings: Settings,
    *,
    duration_s: float,
    connections: int,
    rate: float,
    max_requests: int,
    url: str | None,
    secret: str,
    naive: bool = True,
) -> dict[str, Any]:
    """Every phase, and the headline figures the issue tracks."""
    phases = [Phase("group", "closed-loop", connections, None, duration_s)]
    naive = naive and url is None  # a running server's commit mode is what it is
    if naive:
        phases.append(Phase("naive", "closed-loop", connections, None, duration_s))
    phases.append(Phase("group", "open-loop", connections, rate, duration_s))
    work_dir = Path(settings.quizbot_var_dir) / "bench" / "ingest"
    database = Configured(settings, work_dir) if url else Scratch(settings, work_dir)
    with database as scratch:
        results = [
            run_phase(phase, scratch, max_requests=max_requests, url=url, secret=secret)
            for phase in phases
        ]
        pgbouncer = scratch.bouncer is not None
    group, opened = results[0], results[-1]
    naive_result = results[1] if naive else None
    naive_rate = naive_result["answers_per_s"] if naive_result else None
    return {
        **group,
        "rate": rate,
        "naive_answers_per_s": naive_rate,
        "ratio_vs_naive": round(group["answers_per_s"] / naive_rate, 2) if naive_rate else None,
        "open_loop_answers_per_s": opened["answers_per_s"],
        "open_loop_p50_ms": opened["p50_ms"],
        "open_loop_p99_ms": opened["p99_ms"],
        "open_loop_lost": opened["lost"],
        "pgbouncer": pgbouncer,
        "cpus": os.cpu_count(),
        "phases": results,
    }


@click.command(name="ingest")
@click.option("--duration", default=6.0, show_default=True, help="Seconds per phase.")
@click.option(
    "--connections", default=100, show_default=True, help="Concurrent webhook connections."
)
@click.option("--rate", default=2000.0, show_default=True, help="Open-loop arrivals per second.")
@click.option(
    "--max-requests", default=100_000, show_default=True, help="Upper bound of answers per phase."
)
@click.option(
    "--url", default=None, help="Load a running server (on this database) instead of starting one."
)
@click.option(
    "--secret", default=SECRET, show_default=True, help="Its WEBHOOK_SECRET (with --url)."
)
@click.option("--no-naive", is_flag=True, help="Skip the naive (commit per answer) phase.")
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
def command(
    duration: float,
    connections: int,
    rate: float,
    max_requests: int,
    url: str | None,
    secret: str,
    no_naive: bool,
    as_json: bool,
) -> None:
    """Durable answers per second at the webhook: group commit vs naive, closed and open loop."""
    settings = load_settings()
    if url is not None:
        # The synthetic session goes into the database configured here (and is
        # removed afterwards); the server at --url must use the same database.
        click.echo("note: the server at --url must use the database configured here", err=True)
    report = run(
        settings,
        duration_s=duration,
        connections=connections,
        rate=rate,
        max_requests=max_requests,
        url=url.rstrip("/") if url else None,
        secret=secret,
        naive=not no_naive,
    )
    if not as_json:
        for phase in report["phases"]:
            click.echo(
                f"{phase['mode']:>5} {phase['load']:<11} {phase['answers_per_s']:>8,.0f}/s "
                f"p50 {phase['p50_ms']:.1f} ms p99 {phase['p99_ms']:.1f} ms "
                f"errors {phase['errors']} lost {phase['lost']} "
                f"web {phase['cpu_us_per_answer_web']} us/answer",
                err=True,
            )
    click.echo(json.dumps(report, indent=None if as_json else 2))
