"""The real writer process: woken by NOTIFY, on time at deadlines, clean on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Mode
from tests.conftest import StatsdListener
from tests.integration.writer_world import World

QUICK = Quiz(
    slug="quick",
    title="Quick",
    description="",
    questions=(
        Question("Two plus two?", ("3", "4"), frozenset({1}), None, 5),
        Question("Three plus three?", ("6", "7"), frozenset({0}), None, 1),
    ),
)


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    # Bounded, and generous: a writer process starts up (imports, connects) on
    # a machine whose 2 cores the rest of the suite shares.
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the writer")
        time.sleep(0.02)


@pytest.fixture
def writer_env(
    db_url: str, pooled_url: str, statsd: StatsdListener, tmp_path: Path
) -> dict[str, str]:
    """A writer's environment: pgbouncer for work, the direct URL for LISTEN."""
    env = {k: v for k, v in os.environ.items() if k != "QUIZBOT_ENV_FILE"}
    env.update(
        DATABASE_URL=pooled_url,
        DATABASE_DIRECT_URL=db_url,
        QUIZBOT_VAR_DIR=str(tmp_path / "var"),
        STATSD_PORT=str(statsd.port),
        REVEAL_PAUSE_S="0",
        WRITER_POLL_MS="200",
    )
    return env


@pytest.fixture
def start_writer(
    writer_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    entry = Path(sys.executable).with_name("quizbot-writer")

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([str(entry)], env=writer_env, cwd=tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(15)


def test_the_writer_plays_a_live_game_by_itself_and_drains_on_sigterm(
    engine: Engine, start_writer: Callable[[], subprocess.Popen[bytes]], statsd: StatsdListener
) -> None:
    world = World(engine, quiz=QUICK)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    # The host chose close-early in the lobby: the question closes once both answered.
    world.execute("UPDATE sessions SET close_when_all_answered = true WHERE id = :s", s=sid)
    world.join(sid, 11, -100)
    world.join(sid, 12, -100)
    writer = start_writer()

    world.request(sid, "start", 7)  # NOTIFY quizbot_clock wakes the writer
    wait_until(lambda: world.session(sid).status == "question")
    assert world.press(sid, 0, 11, 1)
    assert world.press(sid, 0, 12, 0)  # everyone answered: the question closes early
    wait_until(lambda: world.session(sid).position == 1)
    # Nobody answers the last question: it closes at its 1 s deadline, then the game ends.
    wait_until(lambda: world.session(sid).status == "finished")

    names = [m.ref or m.edit_ref or m.method for m in world.messages(sid)]
    assert names == [
        f"lobby:{sid}",
        f"q:{sid}:0",
        f"q:{sid}:0",
        f"q:{sid}:1",
        f"q:{sid}:1",
        "sendMessage",
    ]
    assert world.results(sid)[11].rank == 1
    for metric in (
        "transitions.start",
        "transitions.close_early",
        "transitions.close",
        "transitions.finished",
        "due_lag",
        "finish",
        "transition",
    ):
        assert statsd.wait_for(f"quizbot.writer.{metric}:"), metric
    assert stop(writer) == 0


def test_two_writer_processes_apply_every_transition_exactly_once(
    engine: Engine, start_writer: Callable[[], subprocess.Popen[bytes]]
) -> None:
    world = World(engine, quiz=QUICK)
    sids = []
    for n in range(20):
        sid = world.live(Mode.GROUP, host=7, chat=-1000 - n)
        world.join(sid, 11, -1000 - n)
        sids.append(sid)
    writers = [start_writer(), start_writer()]
    time.sleep(0.5)  # both are listening
    for sid in sids:
        world.request(sid, "start", 7)

    finished = "SELECT count(*) FROM sessions WHERE status = 'finished'"
    wait_until(lambda: world.scalar(finished) == len(sids), timeout=30)

    with engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                "SELECT session_id, coalesce(ref, edit_ref, 'results'), count(*) FROM outbox"
                " GROUP BY 1, 2"
            )
        ).all()
    assert {count for *_, count in counts} == {1, 2}  # a question and its reveal share a ref
    per_session = {sid: sorted(c for s, _, c in counts if s == sid) for sid in sids}
    assert all(c == [1, 1, 2, 2] for c in per_session.values())  # lobby, results, q0, q1
    assert world.scalar("SELECT count(*) FROM results") == len(sids)
    assert [stop(w) for w in writers] == [0, 0]


def test_the_writer_exits_non_zero_when_a_task_dies(
    engine: Engine, start_writer: Callable[[], subprocess.Popen[bytes]]
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE sessions CASCADE"))  # e.g. an unmigrated database
    writer = start_writer()
    assert writer.wait(15) == 1  # so supervisor restarts it, and an operator sees why
