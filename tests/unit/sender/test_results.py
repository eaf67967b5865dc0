"""The result buffer: flush on size or time, keep entries when a write fails."""

from __future__ import annotations

import asyncio

from quizbot.sender.results import Entry, ResultBuffer
from quizbot.store.outbox_queries import Outcome


class Sink:
    """Records batches; fails the next ``fail`` writes."""

    def __init__(self, fail: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    async def __call__(self, entries: list[Entry]) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("database away")
        self.batches.append([e.id for e in entries if isinstance(e, Outcome)])


def sent(i: int) -> Outcome:
    return Outcome(i, "sent", True, message_id=i)


async def test_a_full_buffer_flushes_at_once_in_one_batch() -> None:
    sink = Sink()
    buf = ResultBuffer(sink, max_batch=3, max_wait_s=60)
    stop = asyncio.Event()
    task = asyncio.create_task(buf.run(stop))
    for i in range(3):
        buf.add(sent(i))
    await asyncio.sleep(0.05)
    assert sink.batches == [[0, 1, 2]]
    stop.set()
    await task


async def test_a_partial_buffer_flushes_after_max_wait() -> None:
    sink = Sink()
    buf = ResultBuffer(sink, max_batch=100, max_wait_s=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(buf.run(stop))
    buf.add(sent(1))
    await asyncio.sleep(0.01)
    assert sink.batches == []
    await asyncio.sleep(0.1)
    assert sink.batches == [[1]]
    stop.set()
    await task


async def test_a_failed_write_keeps_the_batch_in_front_and_in_order() -> None:
    sink = Sink(fail=1)
    buf = ResultBuffer(sink, max_batch=100, max_wait_s=0.01, retry_s=0.01)
    buf.add(sent(1))
    assert not await buf.flush()
    buf.add(sent(2))
    assert len(buf) == 2
    assert await buf.drain()
    assert sink.batches == [[1, 2]]
    assert buf.failures == 1


async def test_drain_gives_up_after_its_attempts_and_says_so() -> None:
    buf = ResultBuffer(Sink(fail=99), retry_s=0.001)
    buf.add(sent(1))
    assert not await buf.drain(attempts=2)
    assert len(buf) == 1


async def test_results_are_unwritable_after_a_failed_write_or_when_they_wait_too_long() -> None:
    sink = Sink(fail=1)
    buffer = ResultBuffer(sink, max_batch=10, max_wait_s=60, hold_s=0.05)
    assert buffer.writable()
    buffer.add(sent(1))
    assert not await buffer.flush()
    assert not buffer.writable()  # workers stop taking rows
    assert await buffer.flush()
    assert buffer.writable() and sink.batches == [[1]]
    buffer.add(sent(2))
    await asyncio.sleep(0.1)
    assert not buffer.writable()  # a result waiting hold_s: the writer is stuck
    assert await buffer.flush()
    assert buffer.writable()
