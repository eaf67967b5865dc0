"""``quizbot web``: the web tier under gunicorn, configured by config/gunicorn.conf.py."""

from __future__ import annotations

import os
import sys

import click

from quizbot.paths import config_dir


def gunicorn_command(*extra: str) -> list[str]:
    """The gunicorn command line the web tier runs with (supervisor, tests, benches)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(config_dir() / "gunicorn.conf.py"),
        *extra,
        "quizbot.web.app:app",
    ]


@click.command()
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def web(gunicorn_args: tuple[str, ...]) -> None:
    """Serve the webhook: gunicorn with FASTAPI_WORKERS uvicorn workers on WEB_BIND.

    Extra arguments go to gunicorn unchanged (e.g. `quizbot web -- --log-level debug`).
    """
    command = gunicorn_command(*gunicorn_args)
    # exec: supervisor's signals (TERM for a graceful stop, HUP to reload) reach
    # the gunicorn master directly, with no Python parent in between.
    os.execv(command[0], command)
