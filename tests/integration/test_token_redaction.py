"""The bot token reaches no log line and no stored error, whatever Telegram answers.

The sender runs as its own process (the production entry point, its logging
set-up included) at DEBUG, so the libraries log all they would. The simulator
answers 404 to an unknown method, disappears (connection refused), and answers
401 to a wrong token; ``quizbot set-webhook`` meets the 401 too. Then every log
file and every outbox row is searched for the tokens.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import SimConfig, start_in_thread
from quizbot.store.outbox import Message, enqueue, notify

from .sender_harness import ROOT, rows, sender_env, sender_settings, stop_process

# Telegram's shape: "<bot id>:<35 characters>".
TOKEN = "5123456789:AAG7cQx2Lr8vVb0n_Km3Yt6Wq-Pz1Hd4Fs9"
WRONG = "5123456789:AAHwrongwrongwrongwrongwrongwrong00"


def start_sender(settings: Settings, token: str, log: Path) -> subprocess.Popen[bytes]:
    env = sender_env(dataclasses.replace(settings, telegram_bot_token=token))
    env["LOG_LEVEL"] = "DEBUG"
    return subprocess.Popen(
        [sys.executable, "-c", "from quizbot.sender.main import main; main()"],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def rejected_token_logs(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """Run the sender and ``quizbot set-webhook`` with a token the simulator rejects (401);
    returns every log file of the test by name."""
    sim = start_in_thread(SimConfig(limits=False, token=TOKEN))
    try:
        log = tmp_path / "wrong.log"
        wrong = start_sender(dataclasses.replace(settings, telegram_api_url=sim.url), WRONG, log)
        # It stays up, waiting for a good token (sender.token), and says so.
        deadline = time.monotonic() + 60
        while "rejected the bot token" not in log.read_text():
            assert wrong.poll() is None, "the sender exited on a rejected token"
            assert time.monotonic() < deadline, "no log line about the rejected token"
            time.sleep(0.1)
        assert stop_process(wrong) == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZBOT_", "DATABASE_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=WRONG,
            TELEGRAM_API_URL=sim.url,
            WEBHOOK_PUBLIC_URL="https://example.org/telegram/webhook",
            WEBHOOK_SECRET="s",
        )
        cli = subprocess.run(
            [sys.executable, "-m", "quizbot.cli", "set-webhook"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
        )
        assert cli.returncode != 0
        (tmp_path / "cli.log").write_bytes(cli.stdout + cli.stderr)
    finally:
        sim.stop()
    return {path.name: path.read_text() for path in tmp_path.glob("*.log")}


async def until(check, within: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def test_the_token_is_in_no_log_and_no_stored_error(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    sim = start_in_thread(SimConfig(limits=False, token=TOKEN))
    s = sender_settings(settings, sim, send_max_attempts=2)
    with engine.begin() as conn:
        enqueue(conn, [Message(11, "sendNoSuchThing", {"text": "404"})])
        notify(conn)
    sender = start_sender(s, TOKEN, tmp_path / "sender.log")
    try:
        # 404: Telegram does not know the method; the row is dropped with the error.
        await until(lambda: rows(engine)[0].status in ("dropped", "dead"))
        # Connection refused: the simulator is gone; the error is kept for the retry.
        sim.stop()
        with engine.begin() as conn:
            enqueue(conn, [Message(12, "sendMessage", {"text": "unreachable"})])
            notify(conn)
        await until(lambda: rows(engine, "chat_id = 12")[0].error is not None)
    finally:
        stop_process(sender)

    # 401: a sender and the CLI with a token Telegram rejects.
    logs = await asyncio.to_thread(rejected_token_logs, s, tmp_path)
    with engine.connect() as conn:
        stored = conn.scalar(sa.text("SELECT string_agg(o::text, '\n') FROM outbox o"))
    for token in (TOKEN, WRONG, TOKEN.split(":")[1], WRONG.split(":")[1]):
        for name, text in logs.items():
            assert token not in text, f"{name} holds a token"
        assert token not in stored
    # The failures themselves are all there, so the searches had something to find.
    errors = {r.chat_id: r.error for r in rows(engine)}
    assert "not found" in errors[11]
    assert errors[12]
    assert "rejected" in logs["wrong.log"] and "<redacted>" in logs["wrong.log"]
    assert "<redacted>" in logs["cli.log"]
