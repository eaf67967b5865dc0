"""Two clocks racing over the same due sessions apply every transition exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.session import Mode
from quizbot.writer.clock import Clock, utcnow
from quizbot.writer.transitions import Applied
from tests.integration.writer_world import RULES, World

SESSIONS = 40
# Every step of a 3-question game: start, then close/next at each deadline, then finish.
STEPS_S = [0, 10, 13, 33, 36, 51, 54]
LIFE = ["start", "close", "next", "close", "next", "close", "finished"]


def test_two_clocks_racing_over_the_same_sessions_apply_each_transition_once(
    engine: Engine, db_url: str
) -> None:
    world = World(engine)
    sids = []
    for n in range(SESSIONS):
        sid = world.live(Mode.GROUP, host=7, chat=-1000 - n)
        world.join(sid, 11, -1000 - n)
        world.join(sid, 12, -1000 - n)
        world.request(sid, "start", 7)
        sids.append(sid)
    engines = [sa.create_engine(db_url, pool_size=2) for _ in range(2)]
    clocks = [Clock(e, RULES) for e in engines]
    applied: list[list[Applied]] = [[], []]
    t0 = utcnow()

    def run(i: int, now: datetime, barrier: threading.Barrier) -> None:
        barrier.wait()  # both clocks claim at the same moment
        applied[i].extend(clocks[i].run_due(now))

    for step in STEPS_S:
        now = t0 + timedelta(seconds=step)
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=run, args=(i, now, barrier)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    for e in engines:
        e.dispose()

    assert applied[0] and applied[1]  # both clocks really did share the work
    everything = applied[0] + applied[1]
    per_session = Counter((a.session_id, a.kind) for a in everything)
    for sid in sids:
        assert [per_session[(sid, kind)] for kind in ("start", "next", "finished")] == [1, 2, 1]
        assert per_session[(sid, "close")] == 3
    assert len(everything) == SESSIONS * len(LIFE)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT session_id, method, coalesce(ref, edit_ref, 'results') AS name, count(*)"
                " FROM outbox GROUP BY 1, 2, 3"
            )
        ).all()
        finished = conn.scalar(sa.text("SELECT count(*) FROM sessions WHERE status = 'finished'"))
        results = conn.scalar(sa.text("SELECT count(*) FROM results"))
    assert {count for *_, count in rows} == {1}  # no message was enqueued twice
    assert len(rows) == SESSIONS * 8  # lobby edit, 3 questions, 3 reveals, the results
    assert finished == SESSIONS
    assert results == SESSIONS * 2
