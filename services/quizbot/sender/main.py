"""``quizbot-sender``: the process that drains the outbox to Telegram.

Only wiring: settings, logging, metrics, the engine (built here, after any
fork), the Bot transport and the daemon. SIGTERM and SIGINT set the daemon's
stop event; the exit status is the daemon's (non-zero when a task died, so
supervisor restarts it).
"""

from __future__ import annotations

import asyncio
import signal
import sys

import uvloop

from quizbot import logs, metrics
from quizbot.sender.daemon import Sender, SenderConfig
from quizbot.sender.meters import Meters
from quizbot.sender.transport import BotTransport
from quizbot.sender.uploads import UploadRules
from quizbot.settings import MissingSetting, Settings, load_settings
from quizbot.store.database import direct_session_url, engine_for


async def run_sender(settings: Settings, config: SenderConfig | None = None) -> int:
    """Run one sender until SIGTERM/SIGINT; returns its exit status."""
    token = settings.require("TELEGRAM_BOT_TOKEN")
    config = config or SenderConfig.from_settings(settings)
    engine, urls = engine_for(settings, "sender")
    transport = BotTransport(token, settings.telegram_api_url, pool_size=2 * config.workers)
    rules = UploadRules(
        settings.quota_quizzes_per_user, settings.quota_questions_per_quiz, settings.bot_username
    )
    sender = Sender(
        config,
        engine,
        direct_session_url(urls.direct, settings),
        token,
        transport.call,
        Meters(metrics.configure(settings, "sender")),
        uploads=(transport.download, rules),
        check_token=transport.start,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sender.stop.set)
    try:
        return await sender.run()
    finally:
        await transport.close()
        engine.dispose()


def main() -> None:
    """Entry point of ``quizbot-sender``."""
    settings = load_settings()
    try:
        settings.require("TELEGRAM_BOT_TOKEN")
    except MissingSetting as exc:
        sys.exit(f"quizbot-sender: {exc}")
    logs.setup("sender", settings)
    # uvloop: the sender's event loop does all the HTTP; it is noticeably cheaper per call.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        sys.exit(runner.run(run_sender(settings)))


if __name__ == "__main__":
    main()
