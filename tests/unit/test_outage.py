"""Telling an outage from a bug, and waiting an outage out."""

from __future__ import annotations

import asyncio

import psycopg2
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from quizbot.store.outage import Backoff, Stopped, is_transient, retry


def test_connection_errors_are_transient_and_constraint_errors_are_not() -> None:
    refused = OperationalError("SELECT 1", {}, psycopg2.OperationalError("connection refused"))
    assert is_transient(refused)
    assert is_transient(psycopg2.InterfaceError("connection already closed"))
    broken = IntegrityError("INSERT", {}, psycopg2.IntegrityError("duplicate key"))
    assert not is_transient(broken)
    assert not is_transient(ValueError("a bug"))


def test_backoff_doubles_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(first_s=0.2, cap_s=2.0)
    assert [backoff.next() for _ in range(6)] == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    backoff.reset()
    assert backoff.next() == 0.2


async def test_retry_waits_out_transient_errors_and_reports_the_state() -> None:
    failures = iter([True, True, False])
    states: list[bool] = []

    async def call() -> str:
        if next(failures):
            raise psycopg2.OperationalError("server closed the connection unexpectedly")
        return "done"

    result = await retry(call, asyncio.Event(), what="test", on_state=states.append)
    assert result == "done"
    assert states == [False, False, True]


async def test_retry_lets_a_bug_through_and_gives_up_on_stop() -> None:
    async def bug() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await retry(bug, asyncio.Event(), what="test")

    async def away() -> None:
        raise psycopg2.OperationalError("connection refused")

    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    with pytest.raises(Stopped):
        await retry(away, stop, what="test")
