"""Serving an ASGI app with uvicorn: in the foreground (the CLI) or on a
background thread (tests, benches, the demo).

uvloop + httptools with the access log off: the simulator must answer
thousands of calls per second on one core, and per-request logging alone
would halve that. Idle connections are kept for longer than its clients
keep them (:mod:`quizbot.sim.api.pool`: 60 s): with uvicorn's 5 s, a pooled
connection left idle between two questions was closed under a client that
was just sending on it.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE

# Longer than the clients' keep-alive (sim.api.pool), so the client closes first.
KEEP_ALIVE_S = 75


def serve(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 8081,
    log_level: str = "info",
    on_shutdown: Callable[[], None] = lambda: None,
) -> None:
    """Serve ``app`` until interrupted (SIGINT/SIGTERM); ``on_shutdown`` runs as it stops."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level=log_level,
        backlog=4096,
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=2,
    )
    server = _Server(config, on_shutdown)
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
        server.run()
    if not server.started:  # as uvicorn.run: the port was taken, say
        sys.exit(STARTUP_FAILURE)


class _Server(uvicorn.Server):
    """uvicorn's server, which tells the app when it starts to shut down.

    uvicorn waits for the requests in flight, then cancels those still
    running and answers them 500. The app is told first, so it can answer
    its long polls (and drop what a fault stalls) before that.
    """

    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_shutdown = on_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.on_shutdown()
        await super().shutdown(sockets)


@dataclass
class RunningSim:
    """A server running on a background thread; ``stop()`` ends it."""

    app: ASGIApp
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """What to pass as ``telegram.Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """What to pass as ``telegram.Bot(base_file_url=...)``: downloads of getFile's paths."""
        return f"{self.url}/file/bot"

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> RunningSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    on_shutdown: Callable[[], None] = lambda: None,
) -> RunningSim:
    """Start ``app`` on a daemon thread; port 0 picks a free port.

    ``on_shutdown`` runs on the server's loop when :meth:`RunningSim.stop` begins.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=1,
    )
    server = _Server(config, on_shutdown)
    thread = threading.Thread(target=server.run, name=f"sim-api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulated Bot API did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningSim(app, server, thread, host, bound)
