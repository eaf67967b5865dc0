"""Points per answer and the final ranking.

The writer computes a finished quiz's results in one SQL statement, so each
rule here has an SQL twin that must give identical numbers: integer
arithmetic only, and `points_sql` renders the very formula `points` uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SQL_OPERAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


@dataclass(frozen=True, slots=True)
class ScoringRules:
    """A correct answer earns `points_correct` plus up to `speed_bonus` for speed."""

    points_correct: int = 100
    speed_bonus: int = 50

    def __post_init__(self) -> None:
        for value in (self.points_correct, self.speed_bonus):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError("scoring rules are non-negative integers")


def points(correct: bool, elapsed_ms: int, time_limit_ms: int, rules: ScoringRules) -> int:
    """Points for one answer: 0 if wrong, else the base plus a linear speed bonus.

    `elapsed_ms` is clamped to [0, time_limit_ms]; the bonus is rounded down.
    """
    if time_limit_ms <= 0:
        raise ValueError("time_limit_ms must be positive")
    if not correct:
        return 0
    remaining = time_limit_ms - min(max(elapsed_ms, 0), time_limit_ms)
    return rules.points_correct + (rules.speed_bonus * remaining) // time_limit_ms


def points_sql(correct_col: str, elapsed_col: str, limit_col: str, rules: ScoringRules) -> str:
    """The PostgreSQL expression computing `points` from three integer/boolean columns.

    Operands are column names (optionally `table.column`); the rules are
    validated integers, so the text is safe to embed. With non-negative
    operands PostgreSQL's integer `/` truncates exactly like Python's `//`.
    """
    for operand in (correct_col, elapsed_col, limit_col):
        if not _SQL_OPERAND.fullmatch(operand):
            raise ValueError(f"not a column name: {operand!r}")
    remaining = f"GREATEST(0, LEAST({limit_col}, {limit_col} - {elapsed_col}))"
    return (
        f"(CASE WHEN {correct_col} THEN {rules.points_correct}"
        f" + ({rules.speed_bonus} * {remaining}) / {limit_col} ELSE 0 END)"
    )


@dataclass(frozen=True, slots=True)
class PlayerTotals:
    """One player's sums over a session."""

    player_id: int
    score: int
    correct: int
    answered: int
    total_time_ms: int


@dataclass(frozen=True, slots=True)
class Ranked(PlayerTotals):
    """PlayerTotals with a competition rank (1, 2, 2, 4)."""

    rank: int


def rank(totals: Iterable[PlayerTotals]) -> list[Ranked]:
    """Rank by score, faster total answer time breaking ties.

    Equal score and equal time share a rank, and the next rank skips, exactly
    like SQL `rank() OVER (ORDER BY score DESC, total_time_ms ASC)`; the
    player id only makes the order of tied rows deterministic.
    """
    ordered = sorted(totals, key=lambda t: (-t.score, t.total_time_ms, t.player_id))
    ranked: list[Ranked] = []
    for index, totals_row in enumerate(ordered):
        previous = ranked[-1] if ranked else None
        tied = previous is not None and (previous.score, previous.total_time_ms) == (
            totals_row.score,
            totals_row.total_time_ms,
        )
        ranked.append(
            Ranked(
                player_id=totals_row.player_id,
                score=totals_row.score,
                correct=totals_row.correct,
                answered=totals_row.answered,
                total_time_ms=totals_row.total_time_ms,
                rank=previous.rank if tied and previous is not None else index + 1,
            )
        )
    return ranked
