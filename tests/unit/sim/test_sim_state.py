"""Journals: numbered, paginated, capped and long-pollable."""

from __future__ import annotations

import asyncio

from quizbot.sim.api.state import Journal


def test_entries_are_numbered_from_one_and_paginated() -> None:
    journal = Journal(cap=100)
    for item in "abcde":
        journal.append(item)
    assert journal.since(0, 2) == [(1, "a"), (2, "b")]
    assert journal.since(2, 10) == [(3, "c"), (4, "d"), (5, "e")]
    assert journal.since(5, 10) == []


def test_a_full_journal_drops_its_oldest_half_and_keeps_numbering() -> None:
    journal = Journal(cap=4)
    for i in range(1, 6):
        journal.append(i)
    assert journal.first == 3
    assert journal.since(0, 10) == [(3, 3), (4, 4), (5, 5)]


def test_clear_keeps_numbers_growing() -> None:
    journal = Journal(cap=10)
    journal.append("a")
    journal.clear()
    assert journal.append("b") == 2


async def test_wait_after_clear_waits_for_a_new_entry() -> None:
    journal = Journal(cap=10)
    journal.append("a")
    journal.clear()
    waiter = asyncio.create_task(journal.wait(0))
    await asyncio.sleep(0)
    assert not waiter.done()
    journal.append("b")
    await asyncio.wait_for(waiter, 1.0)


async def test_wait_returns_when_an_entry_arrives() -> None:
    journal = Journal(cap=10)
    waiter = asyncio.create_task(journal.wait(0))
    await asyncio.sleep(0)
    assert not waiter.done()
    journal.append("x")
    await asyncio.wait_for(waiter, 1.0)


async def test_wait_returns_at_once_when_entries_exist() -> None:
    journal = Journal(cap=10)
    journal.append("x")
    await asyncio.wait_for(journal.wait(0), 0.1)
