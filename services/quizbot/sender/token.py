"""What the sender does while Telegram rejects its bot token (401 Unauthorized).

No call can succeed with a rejected token, but nothing is lost by waiting:
the rows stay in the outbox. Exiting instead would only turn into a restart
loop under supervisor (the token comes from the environment, so every new
process meets the same 401) and hide the cause behind process churn. So the
sender stays up and:

- sends nothing, trying again after 5 s (less a random half), then twice as
  long each time up to ``TOKEN_RETRY_CAP_S``, each try logged as an error
  that says what to do;
- reports it: ``rejected`` becomes the ``token_rejected`` gauge (1, alerted
  on) and the state "token rejected by Telegram" in its status row;
- carries on by itself, gauge back to 0, as soon as a call is accepted again
  (Telegram answers 401 briefly during some incidents).

At start-up the check is ``getMe``; a rejected token there keeps the sender
from taking the sender lock, so a sender with a good token (during a token
rotation, say) is not held up by it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from telegram.error import InvalidToken

from quizbot.store.events import first_set
from quizbot.telegram.errors import backoff

log = logging.getLogger(__name__)

TOKEN_RETRY_BASE_S = 5.0
TOKEN_RETRY_CAP_S = 300.0


class TokenRejection:
    """The sender's view of whether Telegram accepts its token, and when to try again."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        base_s: float = TOKEN_RETRY_BASE_S,
        cap_s: float = TOKEN_RETRY_CAP_S,
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.clock = clock
        self.jitter = jitter
        self.tries = 0
        self.retry_at = 0.0

    @property
    def rejected(self) -> bool:
        """Whether the last call that reached Telegram got a 401."""
        return self.tries > 0

    def on_rejected(self, reason: str) -> float | None:
        """A call got a 401: the seconds to send nothing for, or None when already waiting.

        Calls in flight together all come back rejected; only the first one
        starts a new wait, so the backoff grows once per try, not per worker.
        """
        now = self.clock()
        if now < self.retry_at:
            return None
        self.tries += 1
        delay = backoff(self.tries, self.base_s, self.cap_s, self.jitter())
        self.retry_at = now + delay
        log.error(
            "Telegram rejected the bot token (%s): nothing is sent, every message stays "
            "queued. Set the right TELEGRAM_BOT_TOKEN and restart the sender; trying again "
            "in %.0f s (try %d).",
            reason,
            delay,
            self.tries,
        )
        return delay

    def hold(self, reason: str) -> float:
        """A call got a 401: the seconds until the next try, a new wait's or what is
        left of the current one (calls in flight together all hold the same time)."""
        pause = self.on_rejected(reason)
        return pause if pause is not None else max(0.0, self.retry_at - self.clock())

    def on_accepted(self) -> None:
        """A call went through: back to normal if the token had been rejected."""
        if self.tries == 0:
            return
        log.warning("Telegram accepts the bot token again after %d tries; sending", self.tries)
        self.tries = 0
        self.retry_at = 0.0

    async def wait_accepted(
        self, check: Callable[[], Awaitable[object]], stop: asyncio.Event
    ) -> bool:
        """Run ``check`` (``getMe``) until it does not raise InvalidToken; False if stopped first."""
        while not stop.is_set():
            try:
                await check()
            except InvalidToken as exc:
                if await first_set(stop, within=self.hold(str(exc))):
                    return False
                continue
            self.on_accepted()
            return True
        return False
