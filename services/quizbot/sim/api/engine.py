"""The simulated Telegram without HTTP: one Bot API call in, one answer out.

The order of checks follows what a client of the real API observes:
transport faults first (a 5xx, a stall or a lost connection happen before
Telegram looks at the call), then the token, the method and its parameters,
then the chat (blocked, migrated, unknown), then flood control, and only
then the effect. A refused call changes nothing and takes no flood token.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

from quizbot.sim.api import limits, methods, protocol
from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.delivery import Delivery
from quizbot.sim.api.faults import Faults
from quizbot.sim.api.longpoll import LongPoll
from quizbot.sim.api.schema import load_schema
from quizbot.sim.api.state import SimState


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back: HTTP status and JSON body, or drop the connection."""

    status: int
    body: bytes
    drop: bool = False


class FakeTelegram:
    """One simulated Bot API endpoint with its state, limits and faults."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.schema = load_schema()
        self.state = SimState(
            bot=config.bot_user(),
            wall_clock=config.wall_clock,
            clock=config.clock,
            max_calls=config.max_calls,
            max_updates=config.max_updates,
            max_messages_per_chat=config.max_messages_per_chat,
            first_update_id=config.first_update_id,
        )
        self.limits_on = config.limits
        self.limiter = limits.RateLimiter(config.rates, config.clock)
        self.faults = Faults(copy.deepcopy(config.faults))
        # Bumped by reset(): a call still stalled by a slow fault when the
        # simulator is reset belongs to the past and must not land in the new
        # state (a test sharing a server would see another test's message).
        self.epoch = 0
        self.delivery = Delivery(self.state, self.call, round_trip_s=config.webhook_round_trip_s)
        self.long_poll = LongPoll(config.clock)
        # Set when the server stops: calls stalled by a slow fault end at once.
        self._stopping = asyncio.Event()
        self.in_flight = 0  # calls being answered now (stalled ones included)

    async def call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        gone: asyncio.Event | None = None,
        outbox_id: int | None = None,
    ) -> Answer:
        """Handle one Bot API call as api.telegram.org would.

        ``gone`` is set when the caller hangs up: it ends a getUpdates long poll.
        ``outbox_id`` (the client's ``X-Outbox-Id`` header) is journaled with the call.
        """
        self.in_flight += 1
        try:
            return await self._call(token, method, params, gone, outbox_id)
        finally:
            self.in_flight -= 1

    async def _call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        gone: asyncio.Event | None,
        outbox_id: int | None,
    ) -> Answer:
        transport = self.faults.transport(method.lower())
        if transport.delay:
            epoch = self.epoch
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(transport.delay):
                    await self._stopping.wait()
            if epoch != self.epoch or self._stopping.is_set():
                return Answer(0, b"", drop=True)
        if transport.drop and not self.faults.config.drop_after:
            self.state.stats[method, "dropped"] += 1
            return Answer(0, b"", drop=True)
        if transport.error:
            error = self.faults.error()
            self.state.stats[method, str(error.code)] += 1
            return Answer(error.code, error.body())
        try:
            if method.lower() == "getupdates":
                name, result = await self._get_updates(token, params, gone)
            else:
                name, result = self.apply(token, method, params, outbox_id)
        except protocol.ApiError as exc:
            self.state.stats[method, str(exc.code)] += 1
            return Answer(exc.code, exc.body())
        if transport.drop:
            self.state.stats[name, "dropped"] += 1
            return Answer(0, b"", drop=True)
        self.state.stats[name, "200"] += 1
        return Answer(200, protocol.ok_body(result))

    def apply(
        self, token: str, method_name: str, params: dict[str, Any], outbox_id: int | None = None
    ) -> tuple[str, Any]:
        """Validate, police and perform a call; return (method, result) or raise ApiError."""
        if self.config.token is not None and token != self.config.token:
            raise protocol.ApiError(401, protocol.UNAUTHORIZED)
        method = self.schema.method(method_name)
        p = self.schema.validate(method, params)
        chat_id = p.get("chat_id")
        if chat_id is not None:
            refusal = self.faults.chat(chat_id)
            if refusal is not None:
                raise refusal
            if self.state.people.blocked(chat_id):
                raise protocol.ApiError(403, protocol.BLOCKED)
        if self.limits_on and limits.counts(method.name):
            paid = bool(p.get("allow_paid_broadcast", False))
            wait = self.limiter.acquire(token, chat_id, paid)
            if wait:
                raise protocol.retry_after(wait)
        handler = methods.HANDLERS.get(method.name) or methods.generic(method.returns)
        result = handler(self.state, p)
        self.state.record(method.name, chat_id, p, result, outbox_id)
        if method.name in ("setWebhook", "deleteWebhook"):
            self.delivery.sync(token)
        return method.name, result

    async def _get_updates(
        self, token: str, params: dict[str, Any], gone: asyncio.Event | None
    ) -> tuple[str, Any]:
        """getUpdates: what is pending now, else a long poll of up to ``timeout`` s."""
        name, result = self.apply(token, "getUpdates", params)
        if result:
            return name, result
        # Later looks confirm nothing again: the offset was applied once.
        p = _without_offset(self.schema.validate(self.schema.method(name), params))
        look = functools.partial(methods.get_updates, self.state, p)
        timeout = min(max(0, p.get("timeout", 0)), 50)
        return name, await self.long_poll.hold(look, self.state.inbox.wait, timeout, gone)

    def reset(self) -> None:
        """Back to the start-up state: nothing recorded, start-up limits and faults.

        Calls still stalled by a slow fault are dropped when they wake, and
        long polls of the feed end at once, so nothing from before the reset
        reaches the state or a reader after it.
        """
        self.epoch += 1
        self.delivery.stop()
        self.long_poll.end()
        self.state.reset()
        self.limits_on = self.config.limits
        self.limiter = limits.RateLimiter(self.config.rates, self.config.clock)
        self.faults = Faults(copy.deepcopy(self.config.faults))

    def close(self) -> None:
        """The server is stopping: answer what still waits now, as a server going away does.

        A getUpdates long poll and the feed's long polls answer with what there
        is, later ones at once; a call stalled by a slow fault loses its
        connection; webhook deliveries stop. Nothing is left for the server to
        cancel, which it would answer 500.
        """
        self._stopping.set()
        self.long_poll.close()
        self.state.feed.interrupt()
        self.delivery.stop()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`close` was called (long polls no longer wait)."""
        return self._stopping.is_set()

    def set_faults(self, patch: dict[str, Any]) -> None:
        """Patch the fault script (see ``Faults.update``).

        A group newly migrated to a supergroup shows it as Telegram does: a
        service message with ``migrate_to_chat_id`` in the old group, so a
        reader of the feed learns the new id before any message arrives there.
        Its members are the supergroup's members.
        """
        before = dict(self.faults.config.migrated)
        self.faults.update(patch)
        members = self.state.people.members
        for old, new in self.faults.config.migrated.items():
            if before.get(old) != new:
                self.state.post(old, {"migrate_to_chat_id": new})
                if old in members:
                    members.setdefault(new, {}).update(members[old])

    def set_limits(self, patch: dict[str, Any]) -> None:
        """Switch limits on/off (``enabled``) and/or change their numbers; buckets refill."""
        enabled = patch.pop("enabled", self.limits_on)
        rates = dataclasses.replace(self.limiter.config, **patch)
        self.limits_on = bool(enabled)
        self.limiter = limits.RateLimiter(rates, self.config.clock)

    def stats(self) -> dict[str, Any]:
        """Counts by method and outcome ("200", "429", "dropped", ...)."""
        by_method: dict[str, dict[str, int]] = {}
        by_outcome: dict[str, int] = {}
        for (method, outcome), n in self.state.stats.items():
            by_method.setdefault(method, {})[outcome] = n
            by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        return {
            "by_method": by_method,
            "by_outcome": by_outcome,
            "rate_limited": by_outcome.get("429", 0),
            "accepted": by_outcome.get("200", 0),
            "recorded": self.state.calls.last,
            "chats": len(self.state.chats),
            "in_flight": self.in_flight,
            "webhook_peak_in_flight": self.delivery.peak_in_flight,
            "webhook_dropped": self.delivery.dropped,
            "limits": self.limits_on,
        }


def _without_offset(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "offset"}
