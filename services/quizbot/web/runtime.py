"""Everything one web worker holds: built in the lifespan, after gunicorn forked.

Nothing here runs at import: the gunicorn master imports the app
(``preload_app``) and forks its workers from it, and each worker builds its own
engine, committer and statsd client, so no socket or DB connection is ever
shared across a fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine

from quizbot.domain.game import GameRules
from quizbot.domain.quiz import Quiz
from quizbot.settings import Settings
from quizbot.store.database import engine_for
from quizbot.store.quizzes import load_quiz
from quizbot.store.replica import ReadRouter, read_router
from quizbot.web.committer import Committer, GroupCommitter
from quizbot.web.meter import Meter
from quizbot.web.naive import NaiveCommitter


class QuizCache:
    """Quizzes by id. A played quiz never changes (re-import refuses), so caching is safe."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._quizzes: dict[int, Quiz] = {}
        self._lock = threading.Lock()  # commands run on a thread pool

    def get(self, conn: Connection, quiz_id: int) -> Quiz:
        """The quiz, loaded on first use."""
        with self._lock:
            found = self._quizzes.get(quiz_id)
        if found is not None:
            return found
        quiz = load_quiz(conn, quiz_id)
        with self._lock:
            if len(self._quizzes) >= self._size:
                self._quizzes.clear()
            self._quizzes[quiz_id] = quiz
        return quiz


@dataclass
class Runtime:
    """One worker's engine, committer, meter and the settings the handlers read.

    ``engine`` is the primary, for everything that writes and the hot path;
    ``reads`` routes the read-only pages (/top, /me, stats) to the replica.
    """

    settings: Settings
    engine: Engine
    reads: ReadRouter
    committer: Committer
    meter: Meter
    secret: bytes
    bot_username: str
    rules: GameRules
    quizzes: QuizCache = field(default_factory=QuizCache)
    pid: int = field(default_factory=os.getpid)
    started_at: float = field(default_factory=time.time)

    @property
    def uptime_s(self) -> float:
        """Seconds since this worker built its runtime."""
        return time.time() - self.started_at

    async def stop(self) -> None:
        """Flush the answers still queued, then close the pool."""
        await self.committer.stop()
        await asyncio.to_thread(self.engine.dispose)
        await asyncio.to_thread(self.reads.dispose)


def build(settings: Settings, meter: Meter) -> Runtime:
    """Check the required settings and build this worker's runtime (blocking: call in a thread)."""
    secret = settings.require("WEBHOOK_SECRET").encode()
    bot_username = settings.require("BOT_USERNAME")
    engine, _ = engine_for(settings, "web")
    committer: Committer
    if settings.commit_mode == "naive":
        # As many threads as the pool has connections: each holds one for a commit.
        threads = settings.db_pool_size + settings.db_max_overflow
        committer = NaiveCommitter(engine, meter, threads=threads)
    else:
        committer = GroupCommitter(
            engine,
            meter,
            max_batch=settings.group_commit_max_batch,
            max_wait_ms=settings.group_commit_max_wait_ms,
        )
    return Runtime(
        settings=settings,
        engine=engine,
        reads=read_router(settings, engine, "web"),
        committer=committer,
        meter=meter,
        secret=secret,
        bot_username=bot_username,
        rules=settings.game_rules(),
    )
