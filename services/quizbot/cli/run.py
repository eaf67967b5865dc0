"""``quizbot run`` (``make run``): the same stack against the real Telegram."""

from __future__ import annotations

import asyncio
import signal
import tempfile
from pathlib import Path

import click

from quizbot.settings import load_settings


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run directory to use and keep (logs, rendered config).",
)
def run(keep: Path | None) -> None:
    """Run the stack locally against the real Telegram with TELEGRAM_BOT_TOKEN.

    With WEBHOOK_PUBLIC_URL set (an HTTPS address that reaches this machine's
    WEB_BIND), the webhook is registered with Telegram. Otherwise a getUpdates
    bridge feeds Telegram's updates to the local webhook, so a developer can
    play with a real bot from a laptop. Ctrl-C stops everything.
    """
    from quizbot.stack.bridge import UpdatesBridge
    from quizbot.stack.local import LocalStack

    settings = load_settings()
    token = settings.require("TELEGRAM_BOT_TOKEN")
    settings.require("BOT_USERNAME")
    var = Path(settings.quizbot_var_dir)
    var.mkdir(parents=True, exist_ok=True)
    root = keep or Path(tempfile.mkdtemp(prefix="quizbot-run-", dir=var))
    env = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "BOT_USERNAME": settings.bot_username or "",
    }
    if settings.webhook_secret:
        env["WEBHOOK_SECRET"] = settings.webhook_secret
    stack = LocalStack(settings, root, simulator=False, env=env)
    stack.start()
    click.echo(f"stack up: web {stack.web_url}, run dir {root} (Ctrl-C stops)")
    try:
        if settings.webhook_public_url:
            _set_webhook(stack.layout.env_file)
            click.echo(f"webhook registered: {settings.webhook_public_url}")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        else:
            _set_commands(stack.layout.env_file)
            bridge = UpdatesBridge(
                token,
                settings.telegram_api_url,
                f"{stack.web_url}/telegram/webhook",
                stack.webhook_secret,
            )
            click.echo("no WEBHOOK_PUBLIC_URL: forwarding getUpdates to the local webhook")

            async def main() -> None:
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, bridge.stop.set)
                task = asyncio.create_task(bridge.run())
                await bridge.stop.wait()
                task.cancel()

            asyncio.run(main())
    finally:
        stack.stop()
        click.echo("stopped")


def _set_webhook(env_file: Path) -> None:
    """Register the webhook; ``set-webhook`` also sets the command menus."""
    _quizbot(env_file, "set-webhook")


def _set_commands(env_file: Path) -> None:
    """The command menus, for a run that reads getUpdates instead of a webhook."""
    _quizbot(env_file, "set-commands")


def _quizbot(env_file: Path, command: str) -> None:
    import os
    import subprocess
    import sys

    # The run's env file carries the webhook secret the web tier checks.
    env = {**os.environ, "QUIZBOT_ENV_FILE": str(env_file)}
    env.pop("WEBHOOK_SECRET", None)
    subprocess.run([sys.executable, "-m", "quizbot.cli", command], env=env, check=True)
