"""``quizbot sim``: the Telegram simulator (a fake Bot API and a swarm of players)."""

from __future__ import annotations

import click

from quizbot.cli.sim_players import players
from quizbot.cli.sim_run import run


@click.group()
def sim() -> None:
    """The Telegram simulator: for the demo, the benchmarks and load tests of a deployment."""


@sim.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8081, show_default=True, type=int, help="Port to bind.")
@click.option("--rate", default=30.0, show_default=True, help="Global messages/s per bot token.")
@click.option(
    "--paid-rate", default=1000.0, show_default=True, help="Messages/s with allow_paid_broadcast."
)
@click.option("--per-chat", default=1.0, show_default=True, help="Messages/s per chat.")
@click.option("--per-chat-burst", default=3.0, show_default=True, help="Burst allowed per chat.")
@click.option("--group-per-min", default=20.0, show_default=True, help="Messages/min per group.")
@click.option("--no-limits", is_flag=True, help="Turn every flood limit off.")
@click.option(
    "--blocked", multiple=True, type=int, help="A chat id whose user blocked the bot (403)."
)
@click.option("--migrated", multiple=True, help="OLD=NEW: a group migrated to a supergroup.")
@click.option("--error-rate", default=0.0, show_default=True, help="Share of calls answered 502.")
@click.option("--slow-ms", default=0, show_default=True, help="Delay added to calls (ms).")
@click.option("--slow-rate", default=1.0, show_default=True, help="Share of calls delayed.")
@click.option("--drop-rate", default=0.0, show_default=True, help="Share of connections dropped.")
@click.option("--seed", type=int, default=None, help="Seed for the fault dice.")
@click.option("--token", default=None, help="Accept only this bot token (default: any).")
@click.option(
    "--webhook-rtt-ms",
    default=0.0,
    show_default=True,
    help="Network round trip added to each webhook request (ms), as from Telegram's servers.",
)
@click.option(
    "--username", default="quizbot_sim_bot", show_default=True, help="The bot's username."
)
def api(host: str, port: int, **options: object) -> None:
    """Serve a fake Telegram Bot API on HOST:PORT (/bot<token>/<method>).

    Every call is validated against the Bot API spec, flood limits answer 429
    with retry_after like Telegram, faults can be scripted, and accepted calls
    are recorded (GET /sim/calls, /sim/updates, /sim/stats).
    """
    from quizbot.sim.api.app import run
    from quizbot.sim.api.config import SimConfig

    config = SimConfig.from_cli(**options)  # type: ignore[arg-type]
    run(config, host=host, port=port)


sim.add_command(players)
sim.add_command(run)
