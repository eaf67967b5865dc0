"""``quizbot sim players``: a swarm of simulated Telegram users plays one live quiz."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import click
import orjson
import uvloop

from quizbot.sim.swarm.config import STYLES


@click.command()
@click.option(
    "--webhook-url",
    default="http://127.0.0.1:8000/telegram/webhook",
    show_default=True,
    help="The bot's webhook, where updates are posted.",
)
@click.option(
    "--api-url",
    default="http://127.0.0.1:8081",
    show_default=True,
    help="The fake Bot API the bot sends to (its /sim/updates feed is what players see).",
)
@click.option("--secret", default=None, help="The webhook secret (default: WEBHOOK_SECRET).")
@click.option("--players", default=200, show_default=True, help="How many players (host included).")
@click.option(
    "--mode",
    type=click.Choice(["group", "private"]),
    default="group",
    show_default=True,
    help="One group chat, or each player in their own private chat.",
)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default="buttons",
    show_default=True,
    help="Questions with inline buttons, or as native quiz polls (/live QUIZ polls).",
)
@click.option(
    "--close-early/--full-time",
    default=True,
    show_default=True,
    help="Group host's lobby option: close a question once every joined player answered.",
)
@click.option(
    "--late-joiners",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Group players who skip the lobby and question 1, then join by answering late.",
)
@click.option("--quiz", "quiz_slug", required=True, help="Slug of the quiz to play live.")
@click.option(
    "--answers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Quiz file with the correct answers (default: the shipped sample with that slug).",
)
@click.option("--accuracy", default=0.7, show_default=True, help="Chance of a correct answer.")
@click.option("--think-min", default=0.5, show_default=True, help="Shortest think time (s).")
@click.option("--think-max", default=3.0, show_default=True, help="Longest think time (s).")
@click.option("--join-within", default=1.0, show_default=True, help="Joins spread over (s).")
@click.option(
    "--max-connections",
    default=100,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Webhook requests in flight at most (setWebhook's max_connections).",
)
@click.option("--seed", type=int, default=None, help="Seed for think times and choices.")
@click.option("--timeout", default=300.0, show_default=True, help="Give up after (s).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the full JSON report (ground truth included) to this file.",
)
def players(
    webhook_url: str,
    api_url: str,
    secret: str | None,
    players: int,
    mode: str,
    style: str,
    close_early: bool,
    late_joiners: int,
    quiz_slug: str,
    answers: Path | None,
    accuracy: float,
    think_min: float,
    think_max: float,
    join_within: float,
    max_connections: int,
    seed: int | None,
    timeout: float,
    as_json: bool,
    report_path: Path | None,
) -> None:
    """Play one live quiz with PLAYERS simulated users of the fake Bot API.

    The players are the fake API's scripted users; it posts their updates to
    the webhook as Telegram does (it is set for the bot's TELEGRAM_BOT_TOKEN).
    The host sends /live QUIZ, players join from the lobby the bot delivers,
    answer each question after thinking, and the run ends with the final
    leaderboard. Exits 1 when the quiz did not finish or an answer was never
    acknowledged.
    """
    from quizbot.heap import freeze_survivors
    from quizbot.settings import load_settings
    from quizbot.sim.swarm.players import Swarm, SwarmConfig

    settings = load_settings()
    if secret is None:
        secret = settings.webhook_secret
    try:
        config = SwarmConfig(
            webhook_url=webhook_url,
            api_url=api_url,
            quiz=quiz_slug,
            secret=secret,
            players=players,
            mode=mode,
            style=style,
            close_early=close_early,
            late_joiners=late_joiners,
            accuracy=accuracy,
            think_min_s=think_min,
            think_max_s=think_max,
            join_within_s=join_within,
            max_connections=max_connections,
            seed=seed,
            timeout_s=timeout,
            answers_file=answers,
            token=settings.telegram_bot_token or SwarmConfig.token,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    log = logging.getLogger("quizbot.sim.swarm.players")
    swarm = Swarm(config, on_event=lambda text: log.info("%s", text))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        # Under supervisord a stop is SIGTERM: end the run and still report.
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, swarm.stop, f"stopped by signal {sig.name}")
        await swarm.run()

    # The ground truth grows with every answer: keep full collections from walking it again.
    freeze_survivors()
    # uvloop: a thousand players' timers and posts on one loop, as cheaply as possible.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
    report = swarm.report
    full = report.to_json(details=True)
    if report_path is not None:
        report_path.write_bytes(orjson.dumps(full, option=orjson.OPT_INDENT_2))
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(full, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        click.echo(orjson.dumps(report.summary(), option=orjson.OPT_INDENT_2).decode())
    ok = report.finished and report.answers_acknowledged == report.answers_sent
    sys.exit(0 if ok else 1)
