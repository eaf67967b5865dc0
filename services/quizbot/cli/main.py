"""The ``quizbot`` command: one entry point for operators, hosts and developers."""

from __future__ import annotations

import logging

import click

from quizbot import logs
from quizbot.cli import bench, db, demo, quiz, run, sender, sim, status, web, webhook, writer
from quizbot.extras import MissingExtra
from quizbot.settings import MissingSetting, Settings, load_settings


class _Group(click.Group):
    """Turns a missing setting or extra into a one-line error instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (MissingSetting, MissingExtra) as exc:
            raise click.ClickException(str(exc)) from exc


def _settings_for_logs() -> Settings | None:
    """The settings, for the token to redact; a command reports a bad setting itself."""
    try:
        return load_settings()
    except Exception:  # any setting problem surfaces again where a command reads it
        return None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="quizbot")
def cli() -> None:
    """quizbot: a Telegram quiz bot that stays fast when thousands play at once.

    Settings come from the environment and an optional env file
    (QUIZBOT_ENV_FILE, default ./.env); see config/quizbot.env.example.
    With DATABASE_URL unset, an embedded PostgreSQL under .var/ is used.
    """
    # INFO whatever LOG_LEVEL says: the commands narrate their work through logging.
    logs.setup("cli", _settings_for_logs(), level="INFO")
    # Alembic narrates every migration step; the commands say what happened themselves.
    logging.getLogger("alembic").setLevel(logging.WARNING)


cli.add_command(db.db)
cli.add_command(quiz.quiz)
cli.add_command(bench.bench)
cli.add_command(writer.writer)
cli.add_command(sender.sender)
cli.add_command(web.web)
cli.add_command(sim.sim)
cli.add_command(webhook.set_webhook)
cli.add_command(webhook.set_commands)
cli.add_command(webhook.delete_webhook)
cli.add_command(demo.demo)
cli.add_command(run.run)
cli.add_command(status.status)
