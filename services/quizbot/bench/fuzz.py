"""``quizbot bench fuzz``: generated hostile updates against the real web tier.

Self-contained like the other benches: a scratch database with a private
pgbouncer in front when one is installed, a live group session with its
question open, and gunicorn from ``config/gunicorn.conf.py``. The cases come
from :mod:`quizbot.bench.fuzz_cases` (hypothesis), posted a batch at a time
concurrently. The report counts the statuses and checks the promise the web
tier makes: while the database is up no update gets a 5xx, and every answer
acknowledged with "locked in" is in the database, once, with the option
pressed. The integration test ``test_webhook_fuzz`` runs the same with a
fixed seed.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import httpx
import orjson
import sqlalchemy as sa

from quizbot.bench.scratch import CHAT_ID, FIRST_PLAYER, Scratch, seed
from quizbot.bench.webserver import WebServer
from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.extras import import_extra
from quizbot.settings import load_settings

if TYPE_CHECKING:
    from quizbot.bench.fuzz_cases import World

SECRET = "bench-fuzz-secret"
LOCKED_IN = answer_toast(AnswerOutcome.ACCEPTED)
PLAYERS = 200
POLL_ID = "fuzz-poll"


@dataclass
class Tally:
    """What the web tier answered, and which answers it acknowledged as recorded."""

    statuses: Counter[int] = field(default_factory=Counter)
    # (session, player) -> the option acknowledged; a second, different one is a conflict
    acknowledged: dict[tuple[int, int], int] = field(default_factory=dict)
    conflicts: int = 0

    @property
    def cases(self) -> int:
        """Updates posted."""
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        """Replies with a 5xx status."""
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def add(self, body: bytes, status: int, reply: bytes) -> None:
        """Count one reply; remember the answer when it says "locked in"."""
        self.statuses[status] += 1
        if status != 200 or not reply or orjson.loads(reply).get("text") != LOCKED_IN:
            return
        # Acknowledged: the parser took the press, so these fields are well-typed.
        query = json.loads(body)["callback_query"]
        _, session, _, option = query["data"].split(":")
        key = (int(session), int(query["from"]["id"]))
        if self.acknowledged.setdefault(key, int(option)) != int(option):
            self.conflicts += 1


def poster(url: str, secret: str, client: httpx.Client, pool: ThreadPoolExecutor) -> Any:
    """A function that posts bodies concurrently and returns (status, body) in order."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}

    def one(body: bytes) -> tuple[int, bytes]:
        reply = client.post(url, content=body, headers=headers)
        return reply.status_code, reply.content

    def post(bodies: list[bytes]) -> list[tuple[int, bytes]]:
        return list(pool.map(one, bodies))

    return post


def recorded_check(direct_url: str, tally: Tally) -> dict[str, int]:
    """Acknowledged answers against the answers table: missing, wrong option, duplicated."""
    sessions = sorted({session for session, _ in tally.acknowledged})
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT session_id, player_id, option, count(*) OVER "
                "(PARTITION BY session_id, player_id) FROM answers "
                "WHERE session_id = ANY(CAST(:s AS bigint[]))"
            ),
            {"s": sessions},
        ).all()
    engine.dispose()
    stored = {(int(s), int(p)): (int(o), int(n)) for s, p, o, n in rows}
    missing = wrong = doubled = 0
    for key, option in tally.acknowledged.items():
        found = stored.get(key)
        if found is None:
            missing += 1
        elif found[0] != option:
            wrong += 1
        elif found[1] != 1:
            doubled += 1
    return {
        "acknowledged": len(tally.acknowledged),
        "missing": missing,
        "wrong_option": wrong,
        "recorded_twice": doubled,
        "acknowledged_twice_differently": tally.conflicts,
    }


def _cases() -> Any:
    import_extra("hypothesis", "bench", "quizbot bench fuzz")
    from quizbot.bench import fuzz_cases

    return fuzz_cases


def fuzz(
    world: World,
    post: Callable[[list[bytes]], list[tuple[int, bytes]]],
    tally: Tally,
    *,
    cases: int,
    random_seed: int | None,
) -> None:
    """Post about ``cases`` generated updates; fail a batch (and shrink it) on any 5xx."""
    fuzz_cases = _cases()

    def check(bodies: list[bytes], replies: list[tuple[int, bytes]]) -> None:
        for body, (status, reply) in zip(bodies, replies, strict=True):
            tally.add(body, status, reply)
        errors = [status for status, _ in replies if status >= 500]
        assert not errors, f"{len(errors)} x 5xx in a batch of {len(bodies)}"

    fuzz_cases.run_cases(world, post, check, cases=cases, random_seed=random_seed)


def open_world(direct_url: str, players: int) -> World:
    """A group game with ``players`` joined and a question open, asked as a quiz
    poll too: what the generated updates play against (a ``fuzz_cases.World``)."""
    session_id = seed(direct_url, players)
    engine = sa.create_engine(direct_url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                # The open question's poll, as the sender records a sent one.
                sa.text(
                    "INSERT INTO polls (poll_id, session_id, position, chat_id)"
                    " SELECT :p, id, position, chat_id FROM sessions WHERE id = :s"
                ),
                {"p": POLL_ID, "s": session_id},
            )
    finally:
        engine.dispose()
    world: World = _cases().World(session_id, CHAT_ID, FIRST_PLAYER, players, 4, POLL_ID)
    return world


def run(cases: int, random_seed: int, concurrency: int) -> dict[str, Any]:
    """Start everything, fuzz, and report."""
    settings = load_settings()
    _cases()  # says plainly when the bench extra is missing, before anything starts
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    work_dir = Path(settings.quizbot_var_dir) / "bench" / "fuzz"
    with Scratch(settings, work_dir, purpose="fuzz") as scratch:
        world = open_world(scratch.direct_url, PLAYERS)
        env = {
            "DATABASE_URL": scratch.pooled_url,
            "FASTAPI_WORKERS": "2",
            "WEBHOOK_SECRET": SECRET,
            "BOT_USERNAME": "quizbot_bench_bot",
            "QUIZBOT_ENV_FILE": "",
            "LOG_LEVEL": "error",
        }
        server = WebServer(env=env, log_path=work_dir / "gunicorn.log").start()
        tally = Tally()
        started = time.monotonic()
        error: str | None = None
        try:
            with (
                httpx.Client(
                    timeout=30, limits=httpx.Limits(max_connections=concurrency)
                ) as client,
                ThreadPoolExecutor(concurrency) as pool,
            ):
                post = poster(f"{server.url}/telegram/webhook", SECRET, client, pool)
                try:
                    fuzz(world, post, tally, cases=cases, random_seed=random_seed)
                except AssertionError as exc:  # hypothesis re-raises the shrunk failure
                    error = str(exc)
        finally:
            server.stop()
        elapsed = time.monotonic() - started
        check = recorded_check(scratch.direct_url, tally)
        pgbouncer = scratch.bouncer is not None
    return {
        "seed": random_seed,
        "cases": tally.cases,
        "elapsed_s": round(elapsed, 1),
        "by_status": {str(status): n for status, n in sorted(tally.statuses.items())},
        "server_errors": tally.server_errors,
        "first_failure": error,
        **check,
        "ok": tally.server_errors == 0
        and not check["missing"]
        and not check["wrong_option"]
        and not check["recorded_twice"],
        "pgbouncer": pgbouncer,
    }


@click.command(name="fuzz")
@click.option("--cases", default=10_000, show_default=True, help="Updates to generate and post.")
@click.option("--seed", "random_seed", type=int, default=None, help="Seed (default: random).")
@click.option("--concurrency", default=16, show_default=True, help="Requests in flight.")
def command(cases: int, random_seed: int | None, concurrency: int) -> None:
    """Post generated hostile updates to a web tier it starts; print counts and checks as JSON."""
    chosen = random_seed if random_seed is not None else random.randrange(2**32)
    report = run(cases, chosen, concurrency)
    click.echo(json.dumps(report, indent=2))
    if not report["ok"]:
        raise SystemExit(1)
