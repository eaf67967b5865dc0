"""``quizbot bench finish``: one finish's time and commit count, and the clock's due lag.

Self-contained: it creates a scratch database on the configured PostgreSQL
server (the embedded one when ``DATABASE_URL`` is unset), migrates it, and
drops it at the end.

1. **Finish.** A session with N players who answered Q questions reaches the end
   of its last reveal pause; the writer's clock applies that one transition
   (results, ranks, stats, leaderboards, final state, leaderboard message).
   ``finish_s`` is its wall time, commit included; ``commits`` is counted by
   :mod:`quizbot.bench.commits` (``baseline_commits`` is the same measurement
   around no work, and should be 0).
2. **Due lag.** K sessions get question deadlines spread over a few seconds and a
   real writer (:class:`quizbot.writer.daemon.Writer`) runs; for each deadline
   the lag is commit time minus deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import random
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quizbot.domain.session import Mode
from quizbot.settings import Settings, load_settings
from quizbot.store import migrate
from quizbot.store.database import embedded_server, libpq_dsn, normalize_url, server_url
from quizbot.store.quizzes import import_quiz
from quizbot.writer.clock import Clock, utcnow
from quizbot.writer.daemon import Writer
from quizbot.writer.transitions import Applied

from .commits import CommitCounter, measure_commits, quiet_autovacuum, single_connection_engine
from .sessions import seed_open_questions, seed_played_session, synthetic_quiz


@contextlib.contextmanager
def scratch_database(settings: Settings) -> Iterator[str]:
    """A freshly migrated database on the configured server, dropped afterwards."""
    if settings.database_url:
        admin = make_url(normalize_url(settings.database_direct_url or settings.database_url))
        admin_url = admin.set(database="postgres").render_as_string(hide_password=False)
    else:
        admin_url = server_url(embedded_server(Path(settings.quizbot_var_dir) / "pgdata"))
    name = f"quizbot_bench_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure_finish(
    url: str, settings: Settings, players: int, questions: int, mode: Mode
) -> dict[str, Any]:
    """Seed one played session and time and count the transition that finishes it."""
    engine = single_connection_engine(url)
    quiz = synthetic_quiz(questions)
    now = utcnow()
    with engine.begin() as conn:
        quiet_autovacuum(conn)
        quiz_id = import_quiz(conn, quiz).quiz_id
        session_id = seed_played_session(conn, quiz, quiz_id, players, now, mode=mode)
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))  # as autovacuum would have by now in production
        conn.commit()
    clock = Clock(engine, settings.game_rules())
    with engine.connect() as conn:
        clock.quizzes.get(conn, quiz_id)  # warm, as in a writer that has been running
    applied: list[Applied | None] = []
    timings: list[float] = []

    def finish() -> None:
        started = time.perf_counter()
        applied.append(clock.step_one(now))
        timings.append(time.perf_counter() - started)

    with CommitCounter(libpq_dsn(url)) as counter:
        baseline = measure_commits(engine, counter, lambda: None)
        commits = measure_commits(engine, counter, finish)
    done = applied[0]
    if done is None or done.finished is None or done.kind != "finished":
        raise RuntimeError(f"the seeded session did not finish: {done}")
    with engine.connect() as conn:
        results = conn.scalar(
            sa.text("SELECT count(*) FROM results WHERE session_id = :s"), {"s": session_id}
        )
        answers = conn.scalar(
            sa.text("SELECT count(*) FROM answers WHERE session_id = :s"), {"s": session_id}
        )
    engine.dispose()
    return {
        "players": players,
        "questions": questions,
        "mode": mode.value,
        "answers": answers,
        "results_rows": results,
        "outbox_rows": done.outbox_rows,
        # the whole transition: claim, results, leaderboard message, commit
        "finish_s": round(timings[0], 4),
        # of which the results statements alone
        "finish_sql_s": round(done.finish_s or 0.0, 4),
        "commits": commits,
        "baseline_commits": baseline,
    }


def measure_due_lag(
    url: str, settings: Settings, sessions: int, spread_s: float, workers: int
) -> dict[str, Any]:
    """Run a writer over ``sessions`` deadlines spread over ``spread_s``; lag percentiles."""
    quiz = synthetic_quiz(2, slug="bench-clock")
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    start = utcnow() + timedelta(seconds=1.0)
    rng = random.Random(7)
    deadlines = sorted(start + timedelta(seconds=rng.uniform(0, spread_s)) for _ in range(sessions))
    with engine.begin() as conn:
        quiz_id = import_quiz(conn, quiz).quiz_id
        ids = set(seed_open_questions(conn, quiz, quiz_id, deadlines, utcnow()))
    engine.dispose()
    lags: dict[int, float] = {}
    local = dataclasses.replace(settings, database_url=url, database_direct_url=url)

    async def drive() -> int:
        loop = asyncio.get_running_loop()
        all_in = asyncio.Event()

        def record(applied: Applied, committed: float) -> None:
            # called in the writer's worker threads, after each commit
            if applied.session_id in ids and applied.kind == "close" and applied.deadline:
                lags.setdefault(
                    applied.session_id, (committed - applied.deadline.timestamp()) * 1000
                )
                if len(lags) == len(ids):
                    loop.call_soon_threadsafe(all_in.set)

        writer = Writer(local, workers=workers, on_applied=record)
        serving = asyncio.create_task(writer.serve())
        waiting = asyncio.ensure_future(all_in.wait())
        await asyncio.wait(
            [waiting, serving], timeout=spread_s + 10, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()
        writer.stop.set()
        return await serving

    status = asyncio.run(drive())
    values = list(lags.values())
    if status != 0 or len(values) != len(ids):
        raise RuntimeError(f"writer exited {status}; {len(values)} of {len(ids)} deadlines applied")
    return {
        "due_sessions": sessions,
        "due_spread_s": spread_s,
        "writer_workers": workers,
        "due_lag_p50_ms": round(percentile(values, 0.50), 2),
        "due_lag_p99_ms": round(percentile(values, 0.99), 2),
        "due_lag_max_ms": round(max(values), 2),
    }


def run(
    settings: Settings,
    *,
    players: int,
    questions: int,
    mode: Mode = Mode.GROUP,
    due_sessions: int = 200,
    due_spread_s: float = 3.0,
    workers: int = 2,
) -> dict[str, Any]:
    """Both measurements in one scratch database; the JSON-ready report."""
    with scratch_database(settings) as url:
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.connect() as conn:
            version = conn.scalar(sa.text("SHOW server_version"))
        engine.dispose()
        report: dict[str, Any] = {"postgres": version, "measured_at": datetime.now().isoformat()}
        report |= measure_finish(url, settings, players, questions, mode)
        report |= measure_due_lag(url, settings, due_sessions, due_spread_s, workers)
    return report


@click.command(name="finish")
@click.option("--players", default=10_000, show_default=True, help="Players in the session.")
@click.option("--questions", default=10, show_default=True, help="Questions they answered.")
@click.option(
    "--mode",
    type=click.Choice(["group", "private"]),
    default="group",
    show_default=True,
    help="group: one chat, chat leaderboard too; private: the leaderboard goes to every player.",
)
@click.option("--due-sessions", default=200, show_default=True, help="Deadlines for the lag run.")
@click.option("--due-spread", default=3.0, show_default=True, help="Seconds they spread over.")
@click.option("--workers", default=2, show_default=True, help="Writer clock workers.")
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
def command(
    players: int,
    questions: int,
    mode: str,
    due_sessions: int,
    due_spread: float,
    workers: int,
    as_json: bool,
) -> None:
    """Finish one session of PLAYERS x QUESTIONS answers (time, commits) and measure due lag."""
    report = run(
        load_settings(),
        players=players,
        questions=questions,
        mode=Mode(mode),
        due_sessions=due_sessions,
        due_spread_s=due_spread,
        workers=workers,
    )
    if not as_json:
        click.echo(
            f"finish of {players:,} players x {questions} questions: "
            f"{report['finish_s']:.3f} s in {report['commits']} commit(s); "
            f"due lag p99 {report['due_lag_p99_ms']:.1f} ms",
            err=True,
        )
    click.echo(json.dumps(report, indent=None if as_json else 2))
