"""``quizbot sender``: run the sender daemon in the foreground."""

from __future__ import annotations

import asyncio
import sys

import click
import uvloop

from quizbot.sender.main import run_sender
from quizbot.settings import load_settings


@click.command()
def sender() -> None:
    """Drain the outbox to Telegram (the same as ``quizbot-sender``)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        sys.exit(runner.run(run_sender(load_settings())))
