"""What each answer of a failed group-commit batch becomes, by the kind of failure."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg2
import psycopg2.errors
import pytest

from quizbot.web.salvage import CommitFailed, StuckSessions, salvage
from quizbot.web.verdicts import Verdict

POISON = 3  # the item the fake database refuses


class FakeDb:
    """Writes items (ints: session ids) one statement at a time; POISON fails any statement."""

    def __init__(self, locked: set[int] = frozenset(), error: Exception | None = None) -> None:
        self.locked = set(locked)
        self.error = error
        self.statements: list[list[int]] = []

    def write(self, items: Sequence[int]) -> list[Verdict]:
        self.statements.append(list(items))
        if self.error is not None:
            raise self.error
        if POISON in items:
            raise psycopg2.errors.CheckViolation("poison")
        if self.locked & set(items):
            raise psycopg2.errors.LockNotAvailable("locked")
        return [Verdict.ACCEPTED] * len(items)

    def unlocked(self, items: Sequence[int]) -> list[bool]:
        return [item not in self.locked for item in items]


def test_a_poison_row_fails_alone_and_the_rest_are_written_one_by_one() -> None:
    db = FakeDb()
    outcomes = salvage(
        [1, 2, POISON, 4], psycopg2.errors.CheckViolation("x"), db.write, db.unlocked
    )
    assert outcomes == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.REJECTED, Verdict.ACCEPTED]
    assert db.statements == [[1], [2], [POISON], [4]]


@pytest.mark.parametrize(
    "error",
    [
        psycopg2.OperationalError("server closed the connection"),
        psycopg2.errors.AdminShutdown("terminating"),
    ],
)
def test_an_outage_fails_every_answer_for_a_retry(error: Exception) -> None:
    db = FakeDb()
    outcomes = salvage([1, 2], error, db.write, db.unlocked)
    assert all(isinstance(o, CommitFailed) for o in outcomes)
    assert db.statements == []  # nothing is tried again while the database is away


def test_an_outage_during_the_one_by_one_retry_fails_the_rest() -> None:
    db = FakeDb(error=psycopg2.OperationalError("gone"))
    outcomes = salvage([1, 2, 4], psycopg2.errors.CheckViolation("x"), db.write, db.unlocked)
    assert all(isinstance(o, CommitFailed) for o in outcomes)
    assert db.statements == [[1]]


def test_an_error_that_is_not_about_the_data_never_earns_a_200() -> None:
    db = FakeDb(error=psycopg2.errors.UndefinedFunction("no such function"))
    outcomes = salvage([1, 2], psycopg2.errors.UndefinedFunction("x"), db.write, db.unlocked)
    assert all(isinstance(o, CommitFailed) for o in outcomes)


def test_answers_for_a_locked_session_fail_and_the_others_are_written_in_one_statement() -> None:
    db = FakeDb(locked={7})
    outcomes = salvage([7, 1, 7, 2], psycopg2.errors.LockNotAvailable("x"), db.write, db.unlocked)
    assert [isinstance(o, CommitFailed) for o in outcomes] == [True, False, True, False]
    assert db.statements == [[1, 2]]


def test_sessions_found_locked_stay_suspect_until_a_probe_finds_them_free() -> None:
    stuck = StuckSessions()
    assert not stuck.suspects([7])
    stuck.seen(locked=[7], free=[1])
    assert stuck.suspects([1, 7]) and not stuck.suspects([1])
    stuck.seen(locked=[], free=[7])
    assert not stuck.suspects([7])
