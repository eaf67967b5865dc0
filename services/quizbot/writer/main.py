"""``quizbot-writer``: the game clock and the batch-commit result writer (one process)."""

from __future__ import annotations

import sys

from quizbot import logs
from quizbot.settings import load_settings
from quizbot.writer.daemon import run


def main() -> None:
    """Read the settings, run the writer until SIGTERM, exit with its status."""
    settings = load_settings()
    logs.setup("writer", settings)
    sys.exit(run(settings))


if __name__ == "__main__":
    main()
