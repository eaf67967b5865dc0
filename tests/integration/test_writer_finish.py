"""Finishing a session: one commit, idempotent, and scores anyone can recompute."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.commits import (
    quiet_autovacuum,
    single_connection_engine,
)
from quizbot.bench.sessions import seed_played_session, synthetic_quiz
from quizbot.domain.scoring import PlayerTotals, ScoringRules, points, rank
from quizbot.domain.session import Mode, Status
from quizbot.store import leaderboards, results
from quizbot.store.quizzes import import_quiz
from quizbot.writer.clock import Clock, utcnow
from quizbot.writer.transitions import Applied
from tests.integration.writer_world import RIGHT, RULES, WRONG, World, kinds

LIMITS_MS = [10_000, 20_000, 15_000]


def play_to_the_end(world: World, sid: int, now: datetime) -> list[Applied]:
    """Fast-forward a session to the end of its last reveal pause and let the clock finish it."""
    world.execute(
        "UPDATE sessions SET status = 'reveal', position = 2, started_at = :t,"
        " deadline = :t, last_activity_at = :t, pending_command = NULL WHERE id = :s",
        s=sid,
        t=now,
    )
    return world.tick(now)


def group_game(world: World, chat: int, players: list[int]) -> int:
    sid = world.live(Mode.GROUP, host=7, chat=chat)
    for player in players:
        world.join(sid, player, chat)
    return sid


def test_scores_and_ranks_match_an_independent_computation_from_the_raw_answers(
    engine: Engine,
) -> None:
    world = World(engine)
    sid = group_game(world, -100, [11, 12, 13, 14, 15, 16])
    raw = [  # (position, player, option, elapsed_ms)
        (0, 11, RIGHT[0], 1_000), (1, 11, RIGHT[1], 5_000), (2, 11, WRONG[2], 2_000),
        (0, 12, RIGHT[0], 1_000), (1, 12, RIGHT[1], 5_000), (2, 12, WRONG[2], 2_000),  # = 11
        (0, 13, RIGHT[0], 4_000), (1, 13, WRONG[1], 100),                  # score tie with 14,
        (0, 14, RIGHT[0], 4_000), (2, 14, WRONG[2], 7_000),                # slower in total
        (0, 15, RIGHT[0], 12_000), (1, 15, RIGHT[1], 19_999), (2, 15, RIGHT[2], 0),  # clamped
        (1, 17, RIGHT[1], 3_000),  # answered in the group without pressing Join
    ]  # fmt: skip
    for position, player, option, elapsed in raw:
        world.put_answer(sid, position, player, option, elapsed)

    assert kinds(play_to_the_end(world, sid, utcnow())) == ["finished"]

    # The independent side: the domain's scoring over the raw answers, by hand.
    sums: dict[int, list[int]] = {p: [0, 0, 0, 0] for p in (11, 12, 13, 14, 15, 16, 17)}
    for position, player, option, elapsed in raw:
        right = option == RIGHT[position]
        total = sums[player]
        total[0] += points(right, elapsed, LIMITS_MS[position], ScoringRules())
        total[1] += right
        total[2] += 1
        total[3] += elapsed
    expected = {
        r.player_id: (r.score, r.correct, r.answered, r.total_time_ms, r.rank)
        for r in rank(PlayerTotals(p, *t) for p, t in sums.items())
    }
    stored = {
        p: (r.score, r.correct, r.answered, r.total_time_ms, r.rank)
        for p, r in world.results(sid).items()
    }
    assert stored == expected
    assert stored[11][4] == stored[12][4]  # a perfect tie shares its rank
    assert stored[13][0] == stored[14][0] and stored[13][4] < stored[14][4]
    assert stored[16] == (0, 0, 0, 0, 7)  # joined, never answered: a result of 0

    with engine.connect() as conn:
        stats = conn.execute(
            sa.text(
                "SELECT position, answered, correct, mean_ms FROM question_stats"
                " WHERE session_id = :s ORDER BY position"
            ),
            {"s": sid},
        ).all()
    for position, answered, correct, mean_ms in stats:
        mine = [r for r in raw if r[0] == position]
        mean = Decimal(sum(r[3] for r in mine)) / len(mine)
        assert answered == len(mine)
        assert correct == sum(r[2] == RIGHT[position] for r in mine)
        assert mean_ms == int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("players", [3, 10_000])
def test_a_finish_is_exactly_one_commit(db_url: str, players: int) -> None:
    engine = single_connection_engine(db_url)
    quiz = synthetic_quiz(10)
    now = utcnow()
    with engine.begin() as conn:
        quiet_autovacuum(conn)
        quiz_id = import_quiz(conn, quiz).quiz_id
        sid = seed_played_session(conn, quiz, quiz_id, players, now, mode=Mode.PRIVATE)
    clock = Clock(engine, RULES)
    done: list[Applied | None] = []
    # The writer's own commits, counted on its engine. pg_stat_database's
    # xact_commit (bench finish) also counts autovacuum's transactions in the
    # database, which visit it at moments a long test run cannot control.
    commits: list[object] = []

    def counted(conn: object) -> None:
        commits.append(conn)

    sa.event.listen(engine, "commit", counted)
    done.append(clock.step_one(now))
    sa.event.remove(engine, "commit", counted)
    with engine.connect() as conn:
        # Rows written by one transaction share its xmin.
        writers = conn.scalar(
            sa.text(
                "SELECT count(DISTINCT x) FROM ("
                " SELECT xmin::text AS x FROM results WHERE session_id = :s"
                " UNION ALL SELECT xmin::text FROM question_stats WHERE session_id = :s"
                " UNION ALL SELECT xmin::text FROM outbox WHERE session_id = :s"
                " UNION ALL SELECT xmin::text FROM sessions WHERE id = :s) t"
            ),
            {"s": sid},
        )
        written = conn.scalar(
            sa.text("SELECT count(*) FROM results WHERE session_id = :s"), {"s": sid}
        )
        boards = conn.scalar(
            sa.text("SELECT count(*) FROM outbox WHERE session_id = :s"), {"s": sid}
        )
        # private mode: each player's message is their own rank, from their results row
        mismatched = conn.scalar(
            sa.text(
                "SELECT count(*) FROM outbox o JOIN participants p"
                " ON p.session_id = o.session_id AND p.chat_id = o.chat_id"
                " JOIN results r ON r.session_id = p.session_id AND r.player_id = p.player_id"
                " WHERE o.session_id = :s AND position("
                "   'rank ' || to_char(r.rank, 'FM999,999') || ' of ' IN o.params->>'text') = 0"
            ),
            {"s": sid},
        )
    engine.dispose()
    assert done[0] is not None and done[0].kind == "finished"
    assert written == players
    assert boards == players  # private mode: a personal result goes to every player
    assert mismatched == 0
    assert len(commits) == 1
    assert writers == 1


def _snapshot(engine: Engine) -> dict[str, object]:
    tables = ["results", "question_stats", "leaderboard_quiz", "leaderboard_chat", "outbox"]
    with engine.connect() as conn:
        snap: dict[str, object] = {}
        for table in tables:
            snap[table] = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        snap["players"] = conn.execute(sa.text("SELECT * FROM players ORDER BY id")).all()
        snap["sessions"] = conn.execute(sa.text("SELECT * FROM sessions ORDER BY id")).all()
    return snap


def test_finishing_twice_writes_nothing_new(engine: Engine) -> None:
    world = World(engine)
    sid = group_game(world, -100, [11, 12])
    world.put_answer(sid, 0, 11, RIGHT[0], 2_000)
    now = utcnow()
    assert kinds(play_to_the_end(world, sid, now)) == ["finished"]
    before = _snapshot(engine)

    with engine.begin() as conn:
        again = results.finish_session(conn, sid, Status.FINISHED, now, ScoringRules())
    assert again is None
    assert world.tick(now + timedelta(seconds=5)) == []
    assert _snapshot(engine) == before


def test_leaderboards_keep_the_best_per_quiz_and_the_totals_per_chat(engine: Engine) -> None:
    world = World(engine)
    first = group_game(world, -100, [11, 12])
    world.put_answer(first, 0, 11, RIGHT[0], 0)  # 150
    world.put_answer(first, 0, 12, RIGHT[0], 10_000)  # 100
    play_to_the_end(world, first, utcnow())
    second = group_game(world, -100, [11, 12])
    world.put_answer(second, 1, 11, RIGHT[1], 20_000)  # 100: below 11's best
    world.put_answer(second, 1, 12, RIGHT[1], 0)  # 150
    world.put_answer(second, 2, 12, RIGHT[2], 15_000)  # +100
    play_to_the_end(world, second, utcnow())
    elsewhere = group_game(world, -200, [13])
    world.put_answer(elsewhere, 0, 13, RIGHT[0], 5_000)  # 125
    play_to_the_end(world, elsewhere, utcnow())
    world.execute("UPDATE players SET first_name = 'Ada' WHERE id = 12")

    with engine.connect() as conn:
        quiz = leaderboards.quiz_top(conn, world.quiz_id)
        chat = leaderboards.chat_top(conn, -100)
        everyone = leaderboards.global_top(conn, limit=2)
        ada = leaderboards.player_stats(conn, 12)
        best = conn.execute(
            sa.text("SELECT player_id, session_id FROM leaderboard_quiz ORDER BY player_id")
        ).all()

    assert [(r.rank, r.name, r.score) for r in quiz.rows] == [
        (1, "Ada", 250),
        (2, "Player 11", 150),
        (3, "Player 13", 125),
    ]
    assert best == [(11, first), (12, second), (13, elsewhere)]
    assert [(r.name, r.score) for r in chat.rows] == [("Ada", 350), ("Player 11", 250)]
    assert chat.total == 2
    assert [(r.rank, r.score) for r in everyone.rows] == [(1, 350), (2, 250)]
    assert everyone.total == 3
    assert ada is not None and (ada.games, ada.total_score, ada.correct, ada.answered) == (
        2,
        350,
        3,
        3,
    )
    assert ada.wins == 1  # won the second game; 11 won the first
    with engine.connect() as conn:
        assert leaderboards.player_stats(conn, 999) is None
