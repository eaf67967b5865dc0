"""A token Telegram rejects (401) stops the sending, not the sender, and loses nothing.

The sender runs as its own process, as under supervisor. The fake API first
rejects its token from the start (a wrong token in the environment), then
accepts it, then rejects it again while messages are queued (a token revoked
through @BotFather): every time, the process stays up, says so in its log and
its status row, keeps the messages queued, and sends each once when the token
is accepted again.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import SimConfig, start_in_thread

from .sender_harness import (
    TOKEN,
    delivered,
    duplicates,
    fill,
    sender_settings,
    settled,
    start_process,
    statuses,
    stop_process,
)

OTHER = "654321:OTHER"
REJECTED = "rejected the bot token"


async def logged(log: Path, text: str, times: int, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while (await asyncio.to_thread(log.read_text)).count(text) < times:
        assert time.monotonic() < deadline, f"{text!r} not logged {times} times in {within} s"
        await asyncio.sleep(0.1)


def sender_state(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(
            sa.text(
                "SELECT state FROM program_status WHERE program = 'sender' ORDER BY updated_at DESC LIMIT 1"
            )
        )


async def test_a_rejected_token_pauses_sending_until_telegram_accepts_it(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    sim = start_in_thread(SimConfig(limits=False, token=OTHER))
    config = sim.app.telegram.config  # type: ignore[attr-defined]
    log = tmp_path / "sender.log"
    proc = start_process(sender_settings(settings, sim), log)
    try:
        fill(engine, [1, 2], 3)
        # From the start: getMe is refused; the sender waits and tries again.
        await logged(log, REJECTED, 2)
        assert proc.poll() is None, "the sender exited on a rejected token"
        assert statuses(engine) == {"pending": 6}
        assert delivered(sim) == {}

        config.token = TOKEN
        assert (await settled(engine, within=60))["sent"] == 6
        assert delivered(sim) == {1: [0, 1, 2], 2: [0, 1, 2]}

        # Revoked while sending: the queued messages wait, nothing is dropped.
        config.token = OTHER
        fill(engine, [3], 4)
        await logged(log, REJECTED, 3)
        assert proc.poll() is None, "the sender exited on a rejected token"
        for _ in range(300):  # the status row is written every second
            if await asyncio.to_thread(sender_state, engine) == "token rejected by Telegram":
                break
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(sender_state, engine) == "token rejected by Telegram"
        assert statuses(engine)["sent"] == 6
        assert not statuses(engine)["dead"] and not statuses(engine)["dropped"]

        config.token = TOKEN
        assert (await settled(engine, within=60))["sent"] == 10
        assert delivered(sim)[3] == [0, 1, 2, 3]
        assert duplicates(sim) == 0
        assert "accepts the bot token again" in log.read_text()
        assert proc.poll() is None
    finally:
        code = stop_process(proc)
        sim.stop()
    assert code == 0
