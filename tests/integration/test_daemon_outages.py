"""The sender and the writer ride through database outages, caused for real.

Each test runs its own PostgreSQL (so it can be killed) and its own pgbouncer
in front of it, a sender and a writer as processes, and the fake Bot API. A
broadcast is in flight and a live game is being played when the fault hits:
pgbouncer stopped for longer than supervisor's old give-up time, or PostgreSQL
stopped with ``-m immediate`` and started again. Ground truth is the fake API's
journal (what Telegram would have received) and the database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Mode
from quizbot.settings import Settings, load_settings
from quizbot.sim.api.app import RunningSim
from quizbot.store import migrate
from quizbot.store.database import (
    embedded_server,
    ensure_database,
    server_url,
    stop_embedded,
)
from quizbot.store.pgbouncer import PgBouncer, find_binary
from tests.conftest import StatsdListener, require_tool

from .sender_harness import TOKEN, calls, fill, sender_env, sender_settings, settled, stop_process
from .writer_world import World

# Longer than supervisor's old give-up time (startsecs=3, startretries=5: about 25 s).
PGBOUNCER_OUTAGE_S = 27.0
POSTGRES_OUTAGE_S = 5.0
# The chaos bench's bar for each fault's recovery.
RECOVERY_S = 5.0
CHATS, PER_CHAT = range(1, 21), 20
GAME_CHAT, HOST, PLAYERS = -100, 7, (11, 12)
SLOW = Quiz(
    slug="slow",
    title="Slow",
    description="",
    questions=(
        Question("One?", ("a", "b"), frozenset({0}), None, 5),
        Question("Two?", ("a", "b"), frozenset({1}), None, 5),
    ),
)


@dataclass
class OwnDatabase:
    """A PostgreSQL of this test alone, with pgbouncer in front."""

    data_dir: Path
    direct_url: str
    bouncer: PgBouncer

    def kill_postgres(self) -> None:
        stop_embedded(self.data_dir, mode="immediate")

    def start_postgres(self) -> None:
        embedded_server(self.data_dir)


@pytest.fixture
def own_db(tmp_path: Path) -> Iterator[OwnDatabase]:
    require_tool(find_binary(), "pgbouncer", "pgbouncer")
    # PostgreSQL runs unprivileged: its data may not sit under pytest's 0700 dirs.
    root = Path(tempfile.mkdtemp(prefix="quizbot-outage-"))
    root.chmod(0o755)
    data_dir = root / "pgdata"
    server = embedded_server(data_dir)
    ensure_database(server_url(server), "quizbot")
    direct = server_url(server, "quizbot")
    migrate.upgrade(direct)
    bouncer = PgBouncer(server_url=server_url(server), run_dir=tmp_path / "pgbouncer")
    bouncer.start()
    try:
        yield OwnDatabase(data_dir, direct, bouncer)
    finally:
        bouncer.stop()
        stop_embedded(data_dir, mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Daemons:
    sender: subprocess.Popen[bytes]
    writer: subprocess.Popen[bytes]
    logs: Path

    def alive(self) -> bool:
        return self.sender.poll() is None and self.writer.poll() is None

    def log_text(self) -> str:
        return "".join(p.read_text() for p in sorted(self.logs.glob("*.log")))


@pytest.fixture
def world(own_db: OwnDatabase) -> Iterator[World]:
    engine = sa.create_engine(own_db.direct_url, pool_pre_ping=True)
    yield World(engine, quiz=SLOW)
    engine.dispose()


def start_daemons(
    own_db: OwnDatabase, sim: RunningSim, statsd: StatsdListener, tmp_path: Path
) -> tuple[Settings, Daemons]:
    base = load_settings(
        {
            "DATABASE_URL": own_db.bouncer.url("quizbot"),
            "DATABASE_DIRECT_URL": own_db.direct_url,
            "QUIZBOT_VAR_DIR": str(tmp_path / "var"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "STATSD_PORT": str(statsd.port),
        }
    )
    settings = dataclasses.replace(
        sender_settings(base, sim, send_rate_per_s=20.0), reveal_pause_s=0.0
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = {}
    for name in ("sender", "writer"):
        procs[name] = subprocess.Popen(
            [str(Path(sys.executable).with_name(f"quizbot-{name}"))],
            env=sender_env(settings),
            cwd=tmp_path,
            stdout=(logs / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
    return settings, Daemons(procs["sender"], procs["writer"], logs)


def start_game(world: World) -> int:
    sid = world.live(Mode.GROUP, host=HOST, chat=GAME_CHAT)
    for player in PLAYERS:
        world.join(sid, player, GAME_CHAT)
    world.request(sid, "start", HOST)
    return sid


async def until(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, f"{what}: not within {within} s"
        await asyncio.sleep(0.05)


def broadcast_calls(sim: RunningSim) -> list[dict[str, Any]]:
    return [c for c in calls(sim, "sendMessage") if c["chat_id"] > 0]


def first_call_after(sim: RunningSim, at: float) -> float | None:
    times = [c["at"] for c in broadcast_calls(sim) if c["at"] >= at]
    return min(times) if times else None


def program_ages(engine: Engine) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT program, extract(epoch FROM now() - updated_at) AS age "
                "FROM program_status WHERE state <> 'stopped'"
            )
        )
        return {r.program: float(r.age) for r in rows}


async def ride_through(
    fault: str,
    own_db: OwnDatabase,
    world: World,
    sim: RunningSim,
    statsd: StatsdListener,
    tmp_path: Path,
) -> tuple[int, float]:
    """Broadcast and play through ``fault``; returns (duplicate sends, recovery seconds)."""
    engine = world.engine
    total = fill(engine, CHATS, PER_CHAT)
    sid = start_game(world)
    settings, daemons = start_daemons(own_db, sim, statsd, tmp_path)
    try:
        await until(lambda: len(broadcast_calls(sim)) >= 60, 60, "broadcast under way")
        await until(lambda: world.session(sid).status == "question", 30, "game started")
        down_at = time.time()
        if fault == "pgbouncer":
            own_db.bouncer.stop()
            await asyncio.sleep(PGBOUNCER_OUTAGE_S)
        else:
            await asyncio.to_thread(own_db.kill_postgres)
            await asyncio.sleep(POSTGRES_OUTAGE_S)
        assert daemons.alive(), daemons.log_text()
        # Results cannot be written: nothing is sent beyond the first second.
        late = [c for c in broadcast_calls(sim) if c["at"] > down_at + 1.5]
        assert late == [], f"{len(late)} sends while the database was away"
        if fault == "pgbouncer":
            own_db.bouncer.start()
        else:
            await asyncio.to_thread(own_db.start_postgres)
        back_at = time.time()
        await until(lambda: first_call_after(sim, back_at) is not None, 30, "sending again")
        recovery = (first_call_after(sim, back_at) or 0.0) - back_at
        counts = await settled(engine, within=90)
        await until(lambda: world.session(sid).status == "finished", 60, "game finished")
        await until(lambda: len(program_ages(engine)) == 2, 10, "both programs report")
        ages = program_ages(engine)
        assert daemons.alive(), daemons.log_text()
    finally:
        codes = [stop_process(daemons.sender), stop_process(daemons.writer)]
    assert codes == [0, 0], daemons.log_text()
    assert counts["dead"] == 0, counts
    seen = Counter(c["params"]["text"] for c in broadcast_calls(sim))
    assert len(seen) == total
    for program in ("sender", "writer"):
        assert statsd.wait_for(f"quizbot.{program}.db_up:0"), program
        assert ages[program] < 5, ages
    duplicates = sum(n - 1 for n in seen.values())
    print(f"{fault}: recovery {recovery:.2f} s, {duplicates} duplicate sends of {total}")
    assert recovery <= RECOVERY_S
    # At most the sends in flight when the database went away come twice.
    assert duplicates <= settings.sender_workers
    return duplicates, recovery


async def test_a_pgbouncer_outage_longer_than_supervisors_patience_is_ridden_through(
    own_db: OwnDatabase, world: World, sim: RunningSim, statsd: StatsdListener, tmp_path: Path
) -> None:
    await ride_through("pgbouncer", own_db, world, sim, statsd, tmp_path)


async def test_postgres_killed_and_restarted_is_ridden_through(
    own_db: OwnDatabase, world: World, sim: RunningSim, statsd: StatsdListener, tmp_path: Path
) -> None:
    await ride_through("postgres", own_db, world, sim, statsd, tmp_path)
