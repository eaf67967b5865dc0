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

import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

# Longer than the clients' keep-alive (sim.api.pool), so the client closes first.
KEEP_ALIVE_S = 75


def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 8081, log_level: str = "info") -> None:
    """Serve ``app`` until interrupted (SIGINT/SIGTERM)."""
    uvicorn.run(
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
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0
) -> RunningSim:
    """Start ``app`` on a daemon thread; port 0 picks a free port."""
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
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sim-api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulated Bot API did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningSim(app, server, thread, host, bound)
