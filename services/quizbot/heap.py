"""Garbage collection for a process whose heap grows with what it remembers.

CPython's full collection walks every tracked object, and it runs each time
the survivors grew by a quarter. The fake Bot API keeps every call, message
and delivery of a run, and the swarm every answer's ground truth, so their
full collections grew with the run: 120-500 ms each at a thousand players,
during which the fake API posted no update and read no webhook answer. That
pause was the slowest answers' measured latency.

:func:`freeze_survivors` moves whatever survived a full collection into the
permanent generation (``gc.freeze``), so the next full collection walks only
what was allocated since. Objects still die by reference counting as usual;
what is given up is collecting a reference cycle among objects that had
survived a full collection before they became garbage. For the simulator,
whose memory is its journals (plain dicts, no cycles), that is nothing worth
the pauses. The web workers instead freeze once, after start-up
(:mod:`quizbot.web.app`), because they run for weeks.
"""

from __future__ import annotations

import gc
from typing import Any

__all__ = ["freeze_survivors"]


def _after_full(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def freeze_survivors() -> None:
    """From now on, freeze the survivors of every full collection (idempotent, per process)."""
    if _after_full not in gc.callbacks:
        gc.callbacks.append(_after_full)
    gc.collect()  # the start-up heap: survivors frozen by the callback
