"""SIGTERM handled like Ctrl-C by the commands that start a whole stack.

``bench`` and ``demo`` start supervisord, PostgreSQL and the fake Telegram and
stop them in ``finally`` blocks. Python's default SIGTERM ends the process
without running those, leaving the stack behind (a CI timeout, ``timeout``,
``kill``); raised as KeyboardInterrupt, it takes the path Ctrl-C takes.
"""

from __future__ import annotations

import signal
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_sigterm() -> None:
    """From now on, SIGTERM raises KeyboardInterrupt in the main thread."""
    signal.signal(signal.SIGTERM, _interrupt)
