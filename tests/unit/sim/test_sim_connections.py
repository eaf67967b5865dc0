"""The webhook connections: kept alive, reused, and honest about a missing answer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from quizbot.sim.api.connections import Connections, NoAnswer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], "asyncio.Future[None]"]


@asynccontextmanager
async def server(answer: Callable[[int, bytes], bytes | None]) -> AsyncIterator[list[int]]:
    """A loopback HTTP server; ``answer(connection_no, request)`` gives the bytes to send
    back (None: close without answering). Yields the connection number of each request."""
    seen: list[int] = []
    count = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        count += 1
        number = count
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                seen.append(number)
                reply = answer(number, request)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    seen.append(port)  # the first item is the port
    try:
        yield seen
    finally:
        srv.close()


def ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def test_requests_reuse_one_kept_alive_connection_and_carry_the_headers() -> None:
    got: list[bytes] = []

    def answer(_: int, request: bytes) -> bytes:
        got.append(request)
        return ok()

    async with server(answer) as seen:
        port = seen.pop(0)
        conns = Connections(f"http://127.0.0.1:{port}/telegram/webhook", {"X-Secret": "s"})
        answers = [await conns.post(b'{"update_id": %d}' % i) for i in range(3)]
        conns.close()
    assert [(a.status, a.reason, a.body) for a in answers] == [(200, "OK", b'{"ok":true}')] * 3
    assert seen == [1, 1, 1]  # one connection for all three
    assert got[0].startswith(b"POST /telegram/webhook HTTP/1.1\r\n")
    assert b"\r\nX-Secret: s\r\n" in got[0] and got[2].endswith(b'{"update_id": 2}')


async def test_a_kept_alive_connection_closed_as_it_is_reused_is_replaced_without_a_failure() -> (
    None
):
    # Connection 1 answers its first request and drops its second unanswered
    # (the server's idle timeout meeting the reuse): that request goes again on
    # connection 2, and the caller sees one answer.
    requests: dict[int, int] = {}

    def answer(number: int, _: bytes) -> bytes | None:
        requests[number] = requests.get(number, 0) + 1
        return None if (number, requests[number]) == (1, 2) else ok()

    async with server(answer) as seen:
        port = seen.pop(0)
        conns = Connections(f"http://127.0.0.1:{port}/", {})
        first = await conns.post(b"{}")
        second = await conns.post(b"{}")
        conns.close()
    assert (first.status, second.status) == (200, 200)
    assert seen == [1, 1, 2]


async def test_a_fresh_connection_closed_without_an_answer_is_no_answer() -> None:
    async with server(lambda n, _: None) as seen:
        conns = Connections(f"http://127.0.0.1:{seen.pop(0)}/", {})
        with pytest.raises(NoAnswer):
            await conns.post(b"{}")
        conns.close()


async def test_an_error_status_is_an_answer_and_a_refused_connection_is_not() -> None:
    reply = ok(b"oops").replace(b"200 OK", b"500 Internal Server Error")
    async with server(lambda n, _: reply) as seen:
        conns = Connections(f"http://127.0.0.1:{seen.pop(0)}/", {})
        answer = await conns.post(b"{}")
        conns.close()
    assert (answer.status, answer.reason, answer.body) == (500, "Internal Server Error", b"oops")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(NoAnswer, match="cannot connect"):
        await Connections(f"http://127.0.0.1:{free}/", {}).post(b"{}")


async def test_an_answer_whose_body_ends_with_the_connection_is_an_answer() -> None:
    # HTTP/1.0 without Content-Length, as Python's http.server sends by default.
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"ok":')
        await writer.drain()
        writer.write(b"true}")
        writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        conns = Connections(f"http://127.0.0.1:{port}/", {}, timeout_s=5)
        answers = [await conns.post(b"{}") for _ in range(2)]  # the second on a new connection
        conns.close()
    finally:
        srv.close()
    assert [(a.status, a.body) for a in answers] == [(200, b'{"ok":true}')] * 2


async def test_a_silent_server_times_out() -> None:
    async with server(lambda n, _: b"") as seen:  # reads the request, never answers
        conns = Connections(f"http://127.0.0.1:{seen.pop(0)}/", {}, timeout_s=0.2)
        with pytest.raises(TimeoutError):
            await conns.post(b"{}")
        conns.close()


def test_only_http_urls_are_taken() -> None:
    with pytest.raises(ValueError):
        Connections("ftp://example.org/x", {})
