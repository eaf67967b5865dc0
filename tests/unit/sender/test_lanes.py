"""Per-chat lanes: order within a chat, one at a time, holds behind retries."""

from __future__ import annotations

import asyncio

from quizbot.sender.lanes import Lanes
from quizbot.store.outbox_queries import ClaimedRow


def row(id: int, chat_id: int) -> ClaimedRow:
    return ClaimedRow(
        id, chat_id, "sendMessage", {"chat_id": chat_id, "text": str(id)}, None, None, 0, 0.0
    )


def lanes(ready: dict[int, float] | None = None) -> Lanes:
    ready = ready or {}
    return Lanes(lambda chat: ready.get(chat, 0.0), lambda: 0.0)


async def take(lanes: Lanes) -> list[tuple[int, int]]:
    """Everything sendable right now, without finishing any of it."""
    out = []
    while True:
        try:
            item = await asyncio.wait_for(lanes.next(), 0.01)
        except TimeoutError:
            return out
        assert item is not None
        out.append((item[0].chat_id, item[1].id))


async def test_a_chat_sends_its_rows_in_id_order_one_at_a_time() -> None:
    ls = lanes()
    ls.add([row(3, 1), row(1, 1), row(2, 1)])
    item = await ls.next()
    assert item is not None and item[1].id == 1
    assert await take(ls) == []  # the chat is busy
    ls.done(item[0])
    item = await ls.next()
    assert item is not None and item[1].id == 2


async def test_different_chats_go_concurrently() -> None:
    ls = lanes()
    ls.add([row(1, 10), row(2, 20), row(3, 10), row(4, 30)])
    assert sorted(await take(ls)) == [(10, 1), (20, 2), (30, 4)]
    assert ls.in_flight == 3 and ls.depth == 1


async def test_a_chat_that_must_wait_does_not_block_others() -> None:
    ls = Lanes(lambda chat: 0.2 if chat == 1 else 0.0, asyncio.get_running_loop().time)
    ls.add([row(1, 1), row(2, 2)])
    first = await ls.next()
    assert first is not None and first[1].id == 2


async def test_a_held_lane_sends_nothing_after_the_retried_row_until_it_returns() -> None:
    ls = lanes()
    ls.add([row(1, 5), row(2, 5), row(3, 5)])
    item = await ls.next()
    assert item is not None
    lane, first = item
    ls.hold(lane, first.id)
    ls.done(lane)
    assert await take(ls) == []
    assert ls.held_rows() == 2
    ls.add([first])  # claimed again after its backoff
    assert await take(ls) == [(5, 1)]


async def test_blocked_chat_drops_everything_queued() -> None:
    ls = lanes()
    ls.add([row(1, 5), row(2, 5), row(3, 5)])
    item = await ls.next()
    assert item is not None
    assert [r.id for r in ls.drop_queued(item[0])] == [2, 3]
    ls.done(item[0])
    assert ls.depth == 0 and await take(ls) == []


async def test_migration_moves_the_row_and_the_queue_to_the_new_chat() -> None:
    ls = lanes()
    ls.add([row(1, -5), row(2, -5)])
    item = await ls.next()
    assert item is not None
    ls.migrate(item[0], item[1], -1005)
    ls.done(item[0])
    ls.add([row(3, -5)])  # claimed before the move was written: redirected
    sent = []
    while ls.depth:
        got = await ls.next()
        assert got is not None
        sent.append((got[1].chat_id, got[1].params["chat_id"], got[1].id))
        ls.done(got[0])
    assert sent == [(-1005, -1005, 1), (-1005, -1005, 2), (-1005, -1005, 3)]


async def test_close_releases_waiting_workers() -> None:
    ls = lanes()
    waiter = asyncio.create_task(ls.next())
    await asyncio.sleep(0)
    ls.close()
    assert await waiter is None


async def test_put_back_row_goes_first_again() -> None:
    ls = lanes()
    ls.add([row(1, 5), row(2, 5)])
    item = await ls.next()
    assert item is not None
    ls.put_back(*item)
    ls.done(item[0])
    again = await ls.next()
    assert again is not None and again[1].id == 1
    assert [r.id for r in ls.take_all()] == [2]
