"""Kept-alive HTTP/1.1 connections to one webhook URL, for the fake API's deliveries.

A delivery is one small POST and one small answer, thousands a second in a
load test, on the fake API's one core. aiohttp's client spent about as much
CPU on each as the bot under test spent answering it (its per-request
machinery: tracing hooks, cookie jar, header multidicts, timers), and on a
shared machine the harness's CPU is taken from the bot it measures. A
delivery needs much less: the request written in one piece, the answer parsed
by httptools (the parser uvicorn uses), and the connection reused while the
server keeps it alive.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

__all__ = ["Answer", "Connections", "NoAnswer"]


class NoAnswer(Exception):
    """The webhook gave no HTTP answer: it refused or lost the connection, or spoke garbage."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, reason phrase and body."""

    status: int
    reason: str
    body: bytes


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Answer] | None = None
        self.reason = ""
        self.body: list[bytes] = []
        self.answered_bytes = 0  # of the current answer: none means the request may be retried
        self.headed = False  # the current answer's status line and headers are in
        self.usable = True

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.answered_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.close()
            self._fail(NoAnswer(f"malformed answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        if self.headed:
            # An answer with neither Content-Length nor chunks (HTTP/1.0's way, e.g.
            # Python's http.server) has its body end with the connection.
            self._answer()
        self._fail(NoAnswer("the connection was closed before an answer"))

    # -- httptools callbacks

    def on_status(self, status: bytes) -> None:
        self.reason += status.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_headers_complete(self) -> None:
        self.headed = True

    def on_message_complete(self) -> None:
        self.usable = self.usable and self.parser.should_keep_alive()
        self._answer()

    def _answer(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(
                Answer(self.parser.get_status_code(), self.reason, b"".join(self.body))
            )

    # --

    async def exchange(self, request: bytes) -> Answer:
        """Write ``request`` and wait for its whole answer."""
        assert self.transport is not None and self.waiter is None
        self.reason, self.body, self.answered_bytes, self.headed = "", [], 0, False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter

    def close(self) -> None:
        self.usable = False
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class Connections:
    """POSTs to ``url`` over reused connections; the caller bounds how many at once."""

    def __init__(self, url: str, headers: dict[str, str], timeout_s: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        # The same certificate checks as aiohttp's default (the system's trust store).
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        self.timeout_s = timeout_s
        self._idle: list[_Connection] = []

    async def post(self, body: bytes) -> Answer:
        """POST ``body``; raises NoAnswer (or TimeoutError) when no HTTP answer came."""
        request = b"%s%d\r\n\r\n%s" % (self.head, len(body), body)
        async with asyncio.timeout(self.timeout_s):
            while self._idle:
                conn = self._idle.pop()
                if not conn.usable:
                    continue
                try:
                    return self._done(conn, await conn.exchange(request))
                except NoAnswer:
                    # The server closed a kept-alive connection as we reused it
                    # (its idle timeout): the request never reached the bot, so
                    # it goes again on a new connection, as any HTTP client does.
                    if conn.answered_bytes:
                        raise
                except BaseException:
                    conn.close()
                    raise
            conn = await self._connect()
            try:
                return self._done(conn, await conn.exchange(request))
            except BaseException:
                conn.close()
                raise

    def close(self) -> None:
        """Close the idle connections (those in use close when their request ends)."""
        for conn in self._idle:
            conn.close()
        self._idle.clear()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self.host, self.port, ssl=self.ssl)
        except OSError as exc:
            raise NoAnswer(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return conn

    def _done(self, conn: _Connection, answer: Answer) -> Answer:
        if conn.usable:
            self._idle.append(conn)
        else:
            conn.close()
        return answer
