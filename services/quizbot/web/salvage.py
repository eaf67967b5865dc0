"""What becomes of a group-commit batch whose statement failed.

A batch is ONE statement, so one row the database refuses fails every answer
in it. Telegram retries a 503, so a row that fails every time would come back
again and again and take its batch-mates down each time. The failure decides:

- the database is away (no connection, shutting down, read-only): every
  answer gets a 503 and Telegram delivers it again later;
- the statement waited past ``lock_timeout`` or ``statement_timeout``
  (something holds a session row: a stuck admin transaction, a migration):
  the sessions that are locked right now are found without waiting
  (``SKIP LOCKED``), their answers get a 503, and the rest is written at once,
  so a stuck session costs its own answers one bounded wait and nobody else's.
  The locked sessions are remembered (:class:`StuckSessions`): while they
  stay locked, later answers for them are turned away before the flush
  instead of making every following batch wait again;
- anything else (bad data, a constraint, a bug) may be one poison row: the
  batch is written again one answer at a time. An answer the database refuses
  on its own for its data (SQLSTATE class 22 or 23) gets
  :attr:`Verdict.REJECTED` (a 200 without a toast, counted); one that fails
  alone for another reason gets a 503; its batch-mates commit and are
  acknowledged as usual. Only data errors earn the 200, so a systematic
  failure (a missing function after a bad deploy) never drops answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from quizbot.store.database import describe_error, is_poison, is_stuck
from quizbot.store.outage import is_transient
from quizbot.web.verdicts import Verdict

log = logging.getLogger(__name__)


class CommitFailed(RuntimeError):
    """The commit holding an answer failed; the webhook answers 503 so Telegram retries."""


Outcome = Verdict | CommitFailed
T = TypeVar("T")

# How long a session found locked stays suspect without being seen again.
SUSPECT_S = 60.0


class StuckSessions:
    """Sessions found locked lately; a batch with any of them is checked before it is written."""

    def __init__(self) -> None:
        self._until: dict[int, float] = {}

    def suspects(self, session_ids: Iterable[int]) -> bool:
        """Whether any of ``session_ids`` was found locked within :data:`SUSPECT_S`."""
        if not self._until:
            return False
        now = time.monotonic()
        self._until = {sid: t for sid, t in self._until.items() if t > now}
        return any(sid in self._until for sid in session_ids)

    def seen(self, locked: Iterable[int], free: Iterable[int]) -> None:
        """Record a probe: ``locked`` were held by someone, ``free`` were not."""
        for sid in free:
            self._until.pop(sid, None)
        until = time.monotonic() + SUSPECT_S
        for sid in locked:
            self._until[sid] = until


def salvage(
    batch: Sequence[T],
    error: BaseException,
    write: Callable[[Sequence[T]], list[Verdict]],
    unlocked: Callable[[Sequence[T]], list[bool]],
) -> list[Outcome]:
    """The outcome of each item of a failed ``batch`` (see the module docstring).

    ``write`` records some items in one statement and returns their verdicts;
    ``unlocked`` tells, without waiting, which items' sessions nobody holds.
    """
    if is_stuck(error):
        return _around_locks(batch, error, write, unlocked)
    if is_transient(error):
        return [CommitFailed(describe_error(error))] * len(batch)
    log.warning(
        "group commit of %d answers refused (%s); writing them one by one",
        len(batch),
        describe_error(error),
    )
    return _one_by_one(batch, write)


def _one_by_one(batch: Sequence[T], write: Callable[[Sequence[T]], list[Verdict]]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for i, item in enumerate(batch):
        try:
            outcomes.extend(write([item]))
        except Exception as exc:
            if is_transient(exc) or is_stuck(exc):
                failed = CommitFailed(describe_error(exc))
                return outcomes + [failed] * (len(batch) - i)
            log.warning("an answer failed on its own: %s", describe_error(exc))
            outcomes.append(
                Verdict.REJECTED if is_poison(exc) else CommitFailed(describe_error(exc))
            )
    return outcomes


def _around_locks(
    batch: Sequence[T],
    error: BaseException,
    write: Callable[[Sequence[T]], list[Verdict]],
    unlocked: Callable[[Sequence[T]], list[bool]],
) -> list[Outcome]:
    stuck = CommitFailed(f"a session is locked: {describe_error(error)}")
    try:
        free = unlocked(batch)
    except Exception as exc:
        return [CommitFailed(describe_error(exc))] * len(batch)
    rest = [item for item, ok in zip(batch, free, strict=True) if ok]
    log.warning(
        "group commit waited past its timeout (%s); %d of %d answers are for locked sessions",
        describe_error(error),
        len(batch) - len(rest),
        len(batch),
    )
    if not rest:
        return [stuck] * len(batch)
    try:
        verdicts = iter(write(rest))
    except Exception as exc:  # a lock the probe could not see: at most one more wait
        return [CommitFailed(describe_error(exc))] * len(batch)
    return [next(verdicts) if ok else stuck for ok in free]
