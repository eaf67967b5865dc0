import random
import sqlite3

import pytest

from quizbot.domain.scoring import PlayerTotals, Ranked, ScoringRules, points, points_sql, rank

RULES = ScoringRules()


@pytest.mark.parametrize(
    ("correct", "elapsed_ms", "limit_ms", "expected"),
    [
        (False, 0, 20_000, 0),
        (False, 19_999, 20_000, 0),
        (True, 0, 20_000, 150),  # instant: full bonus
        (True, 10_000, 20_000, 125),  # half the time left: half the bonus
        (True, 19_999, 20_000, 100),  # 50 * 1 // 20000 rounds down to 0
        (True, 20_000, 20_000, 100),  # at the deadline: no bonus
        (True, 25_000, 20_000, 100),  # a late clock never makes points negative
        (True, -500, 20_000, 150),  # clock skew before the open counts as instant
        (True, 1_000, 20_000, 147),  # 50 * 19000 // 20000 = 47.5 -> 47
        (True, 2_345, 7_000, 133),  # 50 * 4655 // 7000 = 33.25 -> 33
    ],
)
def test_points_formula(correct: bool, elapsed_ms: int, limit_ms: int, expected: int) -> None:
    assert points(correct, elapsed_ms, limit_ms, RULES) == expected


def test_custom_rules_change_base_and_bonus() -> None:
    rules = ScoringRules(points_correct=10, speed_bonus=0)

    assert points(True, 0, 20_000, rules) == 10


@pytest.mark.parametrize("kwargs", [{"points_correct": -1}, {"speed_bonus": -5}])
def test_negative_rules_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        ScoringRules(**kwargs)


def test_a_time_limit_of_zero_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        points(True, 0, 0, RULES)


def test_points_sql_gives_the_same_numbers_as_points() -> None:
    # SQLite has no GREATEST/LEAST, but its multi-argument MAX/MIN are the same
    # functions and its integer division truncates like PostgreSQL's.
    expression = (
        points_sql("a.correct", "a.elapsed_ms", "a.limit_ms", ScoringRules(100, 50))
        .replace("GREATEST(", "MAX(")
        .replace("LEAST(", "MIN(")
    )
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE a (correct BOOLEAN, elapsed_ms INTEGER, limit_ms INTEGER)")
    generator = random.Random(7)
    rows = [
        (
            generator.random() < 0.7,
            generator.randint(-1_000, 70_000),
            generator.choice([5_000, 20_000, 60_000]),
        )
        for _ in range(2_000)
    ]
    db.executemany("INSERT INTO a VALUES (?, ?, ?)", rows)

    computed = [row[0] for row in db.execute(f"SELECT {expression} FROM a ORDER BY rowid")]  # noqa: S608

    assert computed == [points(c, e, lim, ScoringRules(100, 50)) for c, e, lim in rows]


def test_points_sql_text() -> None:
    assert points_sql("correct", "elapsed_ms", "time_limit_ms", RULES) == (
        "(CASE WHEN correct THEN 100 + (50 * GREATEST(0, LEAST(time_limit_ms,"
        " time_limit_ms - elapsed_ms))) / time_limit_ms ELSE 0 END)"
    )


@pytest.mark.parametrize("column", ["x; DROP TABLE answers", "a b", "1col", "a.b.c", ""])
def test_points_sql_only_takes_column_names(column: str) -> None:
    with pytest.raises(ValueError, match="not a column name"):
        points_sql(column, "elapsed_ms", "limit_ms", RULES)


def totals(player_id: int, score: int, time_ms: int) -> PlayerTotals:
    return PlayerTotals(player_id, score, correct=score // 100, answered=5, total_time_ms=time_ms)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], []),
        ([(1, 300, 9_000)], [(1, 1)]),
        # higher score first, whatever the time
        ([(1, 100, 1_000), (2, 300, 9_000)], [(2, 1), (1, 2)]),
        # equal score: the faster total time wins
        ([(1, 300, 9_000), (2, 300, 8_000)], [(2, 1), (1, 2)]),
        # equal score and time share a rank and the next rank skips (1, 2, 2, 4)
        (
            [(4, 100, 5_000), (3, 300, 9_000), (2, 200, 6_000), (1, 300, 1_000), (5, 200, 6_000)],
            [(1, 1), (3, 2), (2, 3), (5, 3), (4, 5)],
        ),
        # a three-way tie at the top
        ([(3, 0, 0), (1, 0, 0), (2, 0, 0)], [(1, 1), (2, 1), (3, 1)]),
    ],
)
def test_rank_is_competition_ranking_by_score_then_time(
    rows: list[tuple[int, int, int]], expected: list[tuple[int, int]]
) -> None:
    ranked = rank(totals(*row) for row in rows)

    assert [(r.player_id, r.rank) for r in ranked] == expected


def test_rank_matches_sql_rank_window_function() -> None:
    generator = random.Random(11)
    rows = [
        totals(i, generator.choice([0, 100, 150, 250]), generator.choice([1_000, 2_000]))
        for i in range(300)
    ]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (player_id INTEGER, score INTEGER, total_time_ms INTEGER)")
    db.executemany(
        "INSERT INTO t VALUES (?, ?, ?)", [(t.player_id, t.score, t.total_time_ms) for t in rows]
    )

    sql_ranks = dict(
        db.execute("SELECT player_id, rank() OVER (ORDER BY score DESC, total_time_ms ASC) FROM t")
    )

    assert {r.player_id: r.rank for r in rank(rows)} == sql_ranks


def test_ranked_keeps_the_totals() -> None:
    [ranked] = rank([PlayerTotals(7, 250, correct=2, answered=3, total_time_ms=4_200)])

    assert ranked == Ranked(7, 250, correct=2, answered=3, total_time_ms=4_200, rank=1)
    assert isinstance(ranked, PlayerTotals)
