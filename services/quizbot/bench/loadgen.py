"""An async load generator for the webhook: Telegram-shaped callback queries over aiohttp.

Two shapes:

- **closed loop**: ``connections`` clients, each posting its next update as soon
  as the last one was answered (Telegram's webhook delivery with
  max_connections = 100 behaves like this under a backlog);
- **open loop**: updates *arrive* at a constant rate whatever the server does.
  Latency is timed from each request's intended send time, so a stall that
  delays later requests shows up in their latency instead of silently
  lowering the rate (coordinated omission).

Both are bounded in time and in count. Bodies are built from a template (one
string format per request) so the generator spends its CPU on HTTP, not JSON.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

import aiohttp
import orjson

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ACCEPTED_TOAST = "✅ Answer locked in"

_TEMPLATE = (
    '{{"update_id":{update_id},"callback_query":{{"id":"{query_id}",'
    '"from":{{"id":{user_id},"is_bot":false,"first_name":"Player {user_id}","language_code":"en"}},'
    '"message":{{"message_id":42,"date":1700000000,"chat":{{"id":{chat_id},"type":"supergroup",'
    '"title":"Quiz night"}},"from":{{"id":1,"is_bot":true,"first_name":"Quiz"}},'
    '"text":"Question 1 of 1"}},"chat_instance":"-4242","data":"{data}"}}}}'
)


@dataclass(frozen=True)
class Target:
    """Where the answers go: the webhook and the open question they answer."""

    url: str
    secret: str
    session_id: int
    chat_id: int
    first_player: int
    first_update_id: int
    options: int = 4


def answer_body(target: Target, n: int) -> bytes:
    """The n-th update: player ``first_player + n`` presses an option of question 0."""
    user_id = target.first_player + n
    return _TEMPLATE.format(
        update_id=target.first_update_id + n,
        query_id=f"{user_id}{n}",
        user_id=user_id,
        chat_id=target.chat_id,
        data=f"a:{target.session_id}:0:{n % target.options}",
    ).encode()


@dataclass
class LoadResult:
    """What the clients saw."""

    sent: int = 0
    acknowledged: int = 0  # 200 with "locked in": the server promises the answer is stored
    other_200: int = 0
    errors: int = 0  # non-200 statuses and transport errors
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    status_counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str) -> None:
        """Tally a status or error kind."""
        self.status_counts[key] = self.status_counts.get(key, 0) + 1


async def _post(
    http: aiohttp.ClientSession, target: Target, n: int, start: float, result: LoadResult
) -> None:
    result.sent += 1
    try:
        async with http.post(
            target.url, data=answer_body(target, n), headers=_headers(target)
        ) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        result.errors += 1
        result.count(type(exc).__name__)
        return
    result.latencies_ms.append((time.perf_counter() - start) * 1000.0)
    result.count(str(status))
    if status != 200:
        result.errors += 1
    elif orjson.loads(body).get("text") == ACCEPTED_TOAST:
        result.acknowledged += 1
    else:
        result.other_200 += 1


_HEADERS: dict[str, dict[str, str]] = {}


def _headers(target: Target) -> dict[str, str]:
    headers = _HEADERS.get(target.secret)
    if headers is None:
        headers = _HEADERS[target.secret] = {
            SECRET_HEADER: target.secret,
            "Content-Type": "application/json",
        }
    return headers


def _session(connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections, force_close=False, ttl_dns_cache=None)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=30),
        skip_auto_headers=["User-Agent"],
    )


async def closed_loop(
    target: Target, *, connections: int, duration_s: float, max_requests: int, first: int = 0
) -> LoadResult:
    """``connections`` clients back to back for ``duration_s`` or ``max_requests`` updates."""
    result = LoadResult()
    counter = iter(range(first, first + max_requests))
    stop_at = time.perf_counter() + duration_s

    async def client(http: aiohttp.ClientSession) -> None:
        for n in counter:
            now = time.perf_counter()
            if now >= stop_at:
                return
            await _post(http, target, n, now, result)

    async with _session(connections) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(connections)))
        result.elapsed_s = time.perf_counter() - began
    return result


async def open_loop(
    target: Target,
    *,
    rate: float,
    connections: int,
    duration_s: float,
    max_requests: int,
    first: int = 0,
) -> LoadResult:
    """Updates due at ``rate`` per second for ``duration_s`` (or ``max_requests``).

    Request ``i`` is due at ``start + i / rate``. Each of ``connections`` senders
    takes the next due request, waits for its time if it is early, and sends it;
    when all senders are busy, due requests wait, and that wait counts in their
    latency, which is timed from the due time, not from the actual send.
    """
    result = LoadResult()
    total = min(max_requests, int(rate * duration_s))
    due = iter(range(total))
    async with _session(connections) as http:
        began = time.perf_counter()

        async def sender() -> None:
            for i in due:
                intended = began + i / rate
                delay = intended - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await _post(http, target, first + i, intended, result)

        await asyncio.gather(*(sender() for _ in range(connections)))
        result.elapsed_s = time.perf_counter() - began
    return result


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile, nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[index]
