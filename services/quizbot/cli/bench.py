"""``quizbot bench``: self-contained benchmarks that print JSON for comparison."""

from __future__ import annotations

import click

from quizbot.bench import capacity, chaos, finish, fuzz, ingest, live, send
from quizbot.cli.termination import interrupt_on_sigterm


@click.group()
def bench() -> None:
    """Measure the hot paths; each command starts what it measures and prints JSON."""
    interrupt_on_sigterm()


bench.add_command(finish.command)
bench.add_command(fuzz.command)
bench.add_command(ingest.command)
bench.add_command(send.command)
bench.add_command(live.command)
bench.add_command(chaos.command)
bench.add_command(capacity.command)
