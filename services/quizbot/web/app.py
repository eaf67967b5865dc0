"""The ASGI app, ``quizbot.web.app:app``, as gunicorn's uvicorn workers run it.

Importing this module builds only the routing table. Each worker builds its
runtime (engine, group committer, statsd client) in the lifespan, after
gunicorn has forked it, and drains it at shutdown: uvicorn first finishes the
requests in flight, then the lifespan flushes the answers still queued.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from quizbot.settings import Settings, load_settings
from quizbot.web.health import health, stats
from quizbot.web.meter import Meter, MeterMiddleware, flushing
from quizbot.web.runtime import build
from quizbot.web.webhook import Webhook


def create_app(settings: Settings | None = None) -> Starlette:
    """The web tier's app; ``settings`` default to the environment, read at start-up."""
    meter = Meter()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = settings or load_settings()
        # Blocking: it may start the embedded PostgreSQL in development.
        runtime = await asyncio.to_thread(build, current, meter)
        runtime.committer.start(asyncio.get_running_loop())
        # Everything alive now (modules, the engine, the runtime) lives as long
        # as the worker. Freezing it keeps the garbage collector's full passes
        # from walking it again and again: they took 80-270 ms each, under load,
        # and were the slowest answers' latency.
        gc.freeze()
        app.state.runtime = runtime
        async with flushing(meter, current):
            try:
                yield
            finally:
                await runtime.stop()

    return Starlette(
        routes=[
            Route("/telegram/webhook", Webhook(), methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/monitoring/stats", stats, methods=["GET"]),
        ],
        middleware=[Middleware(MeterMiddleware, meter=meter)],
        lifespan=lifespan,
    )


app = create_app()
