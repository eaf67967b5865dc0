"""``quizbot writer``: run the game clock and result writer in the foreground."""

from __future__ import annotations

import sys

import click

from quizbot.settings import load_settings
from quizbot.writer.daemon import run


@click.command()
@click.option(
    "--workers",
    default=2,
    show_default=True,
    help="Clock workers; they share due sessions through SKIP LOCKED.",
)
def writer(workers: int) -> None:
    """Run the writer (question deadlines, early advance, results) until SIGTERM."""
    sys.exit(run(load_settings(), workers=workers))
