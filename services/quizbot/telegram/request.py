"""An aiohttp transport for python-telegram-bot (``telegram.request.BaseRequest``).

PTB's default transport (httpx) spends most of a call in Python. Measured
with ``Bot.send_message`` from one core against the simulator (limits off,
10-50 concurrent tasks): httpx 390-660 requests/s, this transport
3,000-4,500 requests/s. The sender needs >= 1,000 msg/s when the rate
limit is lifted, so it uses this one.

Only the transport changes: ``BaseRequest.post`` still turns HTTP status
codes into PTB's exceptions (429 -> RetryAfter, 403 -> Forbidden, 400 with
migrate_to_chat_id -> ChatMigrated, other 400 -> BadRequest, 5xx ->
NetworkError). This class adds the two failures below HTTP: a timeout
becomes ``TimedOut``, any other client error ``NetworkError``.

Calls without files go out as a JSON body (``application/json``, which
the Bot API accepts), encoded with orjson; uploads go as multipart.

A caller may name what a call delivers by setting :data:`OUTBOX_ID` around it
(the sender sets the outbox row's id): it goes out as the ``X-Outbox-Id``
header, which Telegram ignores and the simulator journals, so a run can count
the calls that reached Telegram more than once for one row.
"""

from __future__ import annotations

from contextvars import ContextVar

import aiohttp
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON_HEADERS = {"Content-Type": "application/json"}
OUTBOX_HEADER = "X-Outbox-Id"
OUTBOX_ID: ContextVar[int | None] = ContextVar("outbox_id", default=None)


class AiohttpRequest(BaseRequest):
    """A PTB transport over one ``aiohttp.ClientSession`` with a bounded pool.

    ``connection_pool_size`` caps simultaneous connections to the API host;
    callers beyond it wait up to ``pool_timeout`` for a free connection.
    aiohttp has no write timeout of its own, so ``write_timeout`` bounds the
    whole exchange together with the read timeout.
    """

    __slots__ = (
        "_connect_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 100,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (it must be created inside the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one HTTP request; return (status, body) or raise TimedOut/NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        data: bytes | aiohttp.FormData | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                data = _form(request_data)
            else:
                data = orjson.dumps(request_data.parameters)
                headers = _JSON_HEADERS
        if (outbox_id := OUTBOX_ID.get()) is not None:
            headers = {**(headers or {}), OUTBOX_HEADER: str(outbox_id)}
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            # aiohttp's own timeouts subclass both TimeoutError and ClientError.
            raise TimedOut(f"Timed out: {exc.__class__.__name__}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc

    def _timeout(
        self, read: object, write: object, connect: object, pool: object
    ) -> aiohttp.ClientTimeout:
        read_s = _given(read, self._read_timeout)
        write_s = _given(write, self._write_timeout)
        connect_s = _given(connect, self._connect_timeout)
        pool_s = _given(pool, self._pool_timeout)
        # aiohttp's "connect" covers waiting for a pooled connection plus
        # establishing it; "sock_connect" is the TCP/TLS handshake alone.
        acquire = None if connect_s is None or pool_s is None else connect_s + pool_s
        total = None
        if read_s is not None and write_s is not None and acquire is not None:
            total = read_s + write_s + acquire
        return aiohttp.ClientTimeout(
            total=total, connect=acquire, sock_connect=connect_s, sock_read=read_s
        )


def _given(value: object, default: float | None) -> float | None:
    if isinstance(value, int | float) or value is None:
        return value
    return default


def _form(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
