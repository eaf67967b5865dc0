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

import asyncio
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quizbot.bench.loadgen import LoadResult, Target, closed_loop, open_loop, percentile
from quizbot.bench.sessions import synthetic_quiz
from quizbot.bench.webserver import WebServer
from quizbot.settings import Settings, load_settings
from quizbot.store import migrate
from quizbot.store.database import resolve_urls
from quizbot.store.pgbouncer import PgBouncer, find_binary
from quizbot.store.quizzes import import_quiz

SECRET = "bench-secret"
CHAT_ID = -1_002_000_000_000
FIRST_PLAYER = 10_000_000
WARMUP = 400
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_SEED_SESSION = sa.text(
    """
    INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id, position, question_count,
                          opened_at, deadline, participant_count, started_at)
    VALUES (:quiz_id, 'group', 'question', :chat_id, :first, 0, 1, now(),
            now() + interval '1 hour', :players, now())
    RETURNING id
    """
)
_SEED_PARTICIPANTS = sa.text(
    """
    INSERT INTO participants (session_id, player_id, chat_id)
    SELECT :session_id, :first + g, :chat_id FROM generate_series(0, :players - 1) AS g
    """
)
# Only the measured players: the warm-up's answers are not part of the phase.
_RECORDED = sa.text(
    "SELECT count(*) FROM answers WHERE session_id = :session_id AND player_id >= :first"
)


@dataclass(frozen=True)
class Phase:
    """One measured run."""

    commit_mode: str  # "group" or "naive"
    load: str  # "closed-loop" or "open-loop"
    connections: int
    rate: float | None
    duration_s: float


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_s() -> float:
    """CPU seconds every core of the machine has spent not idle (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


class Scratch:
    """A scratch database (and pgbouncer) on the configured or embedded server."""

    def __init__(self, settings: Settings, work_dir: Path) -> None:
        urls = resolve_urls(settings)
        self.name = f"quizbot_bench_ingest_{uuid.uuid4().hex[:8]}"
        self.admin_url = make_url(urls.direct).set(database="postgres")
        self.direct_url = self.admin_url.set(database=self.name).render_as_string(False)
        self.work_dir = work_dir
        self.bouncer: PgBouncer | None = None

    def __enter__(self) -> Scratch:
        admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        migrate.upgrade(self.direct_url)
        if find_binary() is not None:
            url = self.admin_url
            self.bouncer = PgBouncer(
                server_url=url.render_as_string(False),
                run_dir=self.work_dir / "pgbouncer",
                user=url.username or "postgres",
                password=url.password or "quizbot-local",
            ).start()
        return self

    @property
    def pooled_url(self) -> str:
        """The URL the web tier uses: through pgbouncer when there is one."""
        return self.bouncer.url(self.name) if self.bouncer else self.direct_url

    def __exit__(self, *exc: object) -> None:
        if self.bouncer is not None:
            self.bouncer.stop()
        admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def seed(direct_url: str, players: int) -> int:
    """A group session with ``players`` participants and its only question open for an hour."""
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        quiz = synthetic_quiz(1, time_limit_s=600, slug=f"bench-ingest-{uuid.uuid4().hex[:6]}")
        quiz_id = import_quiz(conn, quiz).quiz_id
        session_id = int(
            conn.execute(
                _SEED_SESSION,
                {"quiz_id": quiz_id, "chat_id": CHAT_ID, "first": FIRST_PLAYER, "players": players},
            ).scalar_one()
        )
        conn.execute(
            _SEED_PARTICIPANTS,
            {
                "session_id": session_id,
                "first": FIRST_PLAYER,
                "players": players,
                "chat_id": CHAT_ID,
            },
        )
    engine.dispose()
    return session_id


def recorded(direct_url: str, session_id: int) -> int:
    """Answers of the measured players stored for the session."""
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        params = {"session_id": session_id, "first": FIRST_PLAYER + WARMUP}
        count = int(conn.scalar(_RECORDED, params) or 0)
    engine.dispose()
    return count


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
    phase: Phase, scratch: Scratch, *, max_requests: int, url: str | None, secret: str
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
        asyncio.run(closed_loop(target, connections=20, duration_s=10, max_requests=WARMUP))
        pids = server.worker_pids() if server else []
        web_before = sum(process_cpu_s(pid) for pid in pids)
        busy_before = machine_busy_s()
        self_before = sum(os.times()[:2])
        result = asyncio.run(_load(phase, target, max_requests))
        web_cpu = sum(process_cpu_s(pid) for pid in pids) - web_before
        busy = machine_busy_s() - busy_before
        loadgen_cpu = sum(os.times()[:2]) - self_before
    finally:
        if server is not None:
            server.stop()
    stored = recorded(scratch.direct_url, session_id)
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
        "cpu_us_per_answer_web": round(web_cpu / acked * 1e6, 1) if acked and pids else None,
        "cpu_us_per_answer_total": round(busy / acked * 1e6, 1) if acked else None,
        "cpu_us_per_answer_loadgen": round(loadgen_cpu / acked * 1e6, 1) if acked else None,
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
    if naive:
        phases.append(Phase("naive", "closed-loop", connections, None, duration_s))
    phases.append(Phase("group", "open-loop", connections, rate, duration_s))
    work_dir = Path(settings.quizbot_var_dir) / "bench" / "ingest"
    with Scratch(settings, work_dir) as scratch:
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
@click.option("--url", default=None, help="Load a running server instead of starting one.")
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
        # The scratch session lives in this machine's database; the server at
        # --url must use the same one for the durability check to mean anything.
        click.echo("note: --url must serve the database configured here", err=True)
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
