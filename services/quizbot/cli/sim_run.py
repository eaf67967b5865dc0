"""``quizbot sim run SCENARIO``: scripted users against any bot, from a YAML file."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import click


@click.command("run")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--api",
    "api_url",
    default=None,
    help="A running fake Bot API (e.g. http://127.0.0.1:8081); default: start one.",
)
@click.option("--port", default=8081, show_default=True, help="Port of the fake API started here.")
@click.option("--webhook", default=None, help="The bot's webhook URL (otherwise it polls).")
@click.option("--token", default=None, help="The bot's token (for --webhook's setWebhook).")
@click.option(
    "--secret", default=None, help="The webhook's secret_token (sent in each delivery's header)."
)
@click.option(
    "--wait-for-bot",
    default=60.0,
    show_default=True,
    help="Seconds to wait for a polling bot's first call (0: start at once).",
)
@click.option("--no-limits", is_flag=True, help="Turn the fake API's flood limits off.")
def run(
    scenario: str,
    api_url: str | None,
    port: int,
    webhook: str | None,
    token: str | None,
    secret: str | None,
    wait_for_bot: float,
    no_limits: bool,
) -> None:
    """Run the users of SCENARIO against a bot and print the report (JSON).

    Point a polling bot at the printed base URL (python-telegram-bot:
    ``base_url=...``); with --webhook the fake API posts the updates to it.
    """
    from quizbot.sim.api.app import SimConfig, start_in_thread
    from quizbot.sim.scenario.runner import ScenarioRun
    from quizbot.sim.scenario.spec import ScenarioError, load

    try:
        parsed = load(scenario)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from None
    running = None
    if api_url is None:
        running = start_in_thread(SimConfig(limits=not no_limits), port=port)
        api_url = running.url
    # One line per control request would drown the run's own progress lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    say = lambda text: click.echo(text, err=True)  # noqa: E731
    say(f"fake Bot API: {api_url}  (bot base_url: {api_url}/bot)")
    wait = 0.0 if webhook else wait_for_bot
    try:
        report = asyncio.run(
            ScenarioRun(
                parsed,
                api_url,
                webhook=webhook,
                token=token,
                secret=secret,
                on_event=say,
                wait_for_bot_s=wait,
            ).run()
        )
    finally:
        if running is not None:
            running.stop()
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
