"""``quizbot set-webhook`` / ``delete-webhook``: tell Telegram where to post updates.

``set-webhook`` also sets the command menus (``setMyCommands``) of each scope and language.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click

from quizbot.settings import load_settings
from quizbot.telegram.updates import ALLOWED_UPDATES


def _bot():  # type: ignore[no-untyped-def]
    from telegram import Bot

    from quizbot.telegram.request import AiohttpRequest

    settings = load_settings()
    token = settings.require("TELEGRAM_BOT_TOKEN")
    return settings, Bot(
        token,
        base_url=f"{settings.telegram_api_url.rstrip('/')}/bot",
        request=AiohttpRequest(connection_pool_size=2),
    )


@click.command("set-webhook")
@click.option(
    "--certificate",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Upload this self-signed certificate (PEM) so Telegram trusts it.",
)
@click.option("--drop-pending", is_flag=True, help="Drop updates Telegram queued meanwhile.")
def set_webhook(certificate: Path | None, drop_pending: bool) -> None:
    """Register WEBHOOK_PUBLIC_URL with Telegram, with WEBHOOK_SECRET and max_connections."""

    from quizbot.telegram.menus import set_menus

    async def run() -> None:
        settings, bot = _bot()
        url = settings.require("WEBHOOK_PUBLIC_URL")
        secret = settings.require("WEBHOOK_SECRET")
        async with bot:
            with certificate.open("rb") if certificate else contextlib.nullcontext() as cert:
                await bot.set_webhook(
                    url=url,
                    certificate=cert,
                    secret_token=secret,
                    max_connections=settings.webhook_max_connections,
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=drop_pending,
                )
            info = await bot.get_webhook_info()
            menus = await set_menus(bot)
        click.echo(f"webhook set: {info.url} (max_connections={info.max_connections})")
        click.echo(f"command menus set: {menus} (scopes x languages)")

    asyncio.run(run())


@click.command("set-commands")
def set_commands() -> None:
    """Set the command menus (setMyCommands) of each scope and language."""
    from quizbot.telegram.menus import set_menus

    async def run() -> None:
        _, bot = _bot()
        async with bot:
            count = await set_menus(bot)
        click.echo(f"command menus set: {count} (scopes x languages)")

    asyncio.run(run())


@click.command("delete-webhook")
def delete_webhook() -> None:
    """Remove the webhook (Telegram then keeps updates for getUpdates)."""

    async def run() -> None:
        _, bot = _bot()
        async with bot:
            await bot.delete_webhook()
        click.echo("webhook deleted")

    asyncio.run(run())
