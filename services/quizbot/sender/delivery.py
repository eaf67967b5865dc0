"""Delivering one claimed row: resolve its edit target, wait for its rate slot,
call the Bot API, and act on the one decision its outcome maps to.

The decisions (``quizbot.telegram.errors.decide``):

- sent, or "message is not modified": the row is sent, with Telegram's message id;
- 429 (Wait): pause the scope ``retry_after`` covers and send the same row after
  the pause; it is not a failed attempt;
- 403 (Block): the chat blocked the bot: drop this row and every queued row of
  the chat with the reason, mark the chat blocked and drop its pending rows;
- ChatMigrated: move the chat's rows to the new id and send this row again there;
- 5xx, timeouts (Retry): back to the database with a backoff (doubling from
  0.5 s up to RETRY_CAP_S), up to SEND_MAX_ATTEMPTS attempts, then dead with
  the error kept; the chat's later rows wait behind it;
- an edit whose message Telegram does not have (it never went out, someone
  deleted it, or it stayed behind in a group that became a supergroup): the
  new text is posted as a new message, and later edits of the same ref edit
  that one, so the chat still sees what the game says now;
- other 400s (Drop): dropped with the error;
- a rejected token (Halt): the row goes back to its lane and nothing is sent
  until the next try (``sender.token``); the operator has to fix the token.

A row that uploads a file (``ClaimedRow.upload``, a document) is sent with the
file as a multipart part.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from telegram import InputFile

from quizbot.sender.lanes import Lane, Lanes
from quizbot.sender.meters import Meters
from quizbot.sender.ratelimit import RateLimiter
from quizbot.sender.results import Admins, AdminsUnavailable, Blocked, Migrated, ResultBuffer
from quizbot.sender.token import TokenRejection
from quizbot.store import admins
from quizbot.store.outbox_queries import ClaimedRow, Outcome
from quizbot.store.polls import SentPoll
from quizbot.telegram import errors
from quizbot.telegram.request import OUTBOX_ID

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]

# Methods that take allow_paid_broadcast (every send* that posts a message).
_NOT_PAID = frozenset({"sendchataction"})
# A ref whose message will never exist (it was dropped or dead-lettered).
FAILED = 0
# The edit that can be posted as a new message when its message is missing.
TEXT_EDIT = "editmessagetext"
# Telegram's answer to an edit of a message it does not have in the chat.
_EDIT_TARGET_GONE = "message to edit not found"
REFS_KEPT = 100_000
# The longest wait between two tries of a row that got a 5xx or timed out. A
# live quiz cannot wait long: with a short cap, the first message after
# Telegram's errors stop goes out within about 2 s. Patience comes from the
# number of attempts instead (SEND_MAX_ATTEMPTS, 40 by default: 40-80 s).
RETRY_CAP_S = 2.0
# How often a worker looks again whether results are written again.
GATE_POLL_S = 0.05


def paid_broadcast_method(method: str) -> bool:
    """Whether ``method`` accepts ``allow_paid_broadcast``."""
    name = method.lower()
    return name == "copymessage" or (name.startswith("send") and name not in _NOT_PAID)


class Delivery:
    """The worker side of the sender: takes rows from the lanes and delivers them."""

    def __init__(
        self,
        *,
        call: Call,
        lanes: Lanes,
        limiter: RateLimiter,
        results: ResultBuffer,
        meters: Meters,
        token: TokenRejection | None = None,
        max_attempts: int,
        paid_broadcast: bool = False,
        stop: asyncio.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.call = call
        self.lanes = lanes
        self.limiter = limiter
        self.results = results
        self.meters = meters
        self.token = token or TokenRejection()
        self.max_attempts = max_attempts
        self.paid_broadcast = paid_broadcast
        self.stop = stop or asyncio.Event()
        self.clock = clock
        self.wall_clock = wall_clock
        self.jitter = jitter
        # (chat_id, ref) -> Telegram's message id, or FAILED: edits resolve here
        # first, since the original's result may not be in the database yet.
        self.refs: OrderedDict[tuple[int, str], int] = OrderedDict()

    async def work(self) -> None:
        """One worker: deliver rows until the lanes close.

        No new row is taken while results cannot be recorded (see
        ``ResultBuffer.writable``): a send that is never recorded is sent again.
        """
        while True:
            while not self.results.writable() and not self.lanes.closed:
                if await self._stopped_within(GATE_POLL_S):
                    break
            item = await self.lanes.next()
            if item is None:
                return
            lane, row = item
            try:
                await self.deliver(lane, row)
            finally:
                self.lanes.done(lane)

    async def deliver(self, lane: Lane, row: ClaimedRow) -> None:
        """Send ``row`` (the head of ``lane``) once and record what became of it."""
        resolved = self._resolve(row)
        if resolved is None:
            return
        row, params = resolved
        wait = self.limiter.reserve(row.chat_id, row.method)
        while wait > 0:
            if await self._stopped_within(wait):
                self.lanes.put_back(lane, row)
                return
            # A global pause may have begun while this row waited for its slot.
            wait = self.limiter.global_wait()
        started = self.clock()
        tagged = OUTBOX_ID.set(row.id)
        try:
            result = await self.call(row.method, params)
        except Exception as exc:
            self._failed(lane, row, params, errors.decide(exc))
            return
        finally:
            OUTBOX_ID.reset(tagged)
            self.meters.timing("send_ms", (self.clock() - started) * 1000.0)
        if row.method == admins.METHOD and isinstance(result, list):
            ids = tuple(int(m["user"]["id"]) for m in result if isinstance(m, dict))
            self.results.add(Admins(row.chat_id, ids))  # written before the row's outcome
        if row.method == "sendPoll" and isinstance(result, dict):
            # A poll_answer names only the poll: the web tier maps it through this.
            poll = result.get("poll")
            if isinstance(poll, dict) and poll.get("id") is not None:
                self.results.add(SentPoll(str(poll["id"]), row.chat_id, row.ref))
        message_id = result.get("message_id") if isinstance(result, dict) else None
        self._sent(row, message_id if message_id is not None else params.get("message_id"))

    def _resolve(self, row: ClaimedRow) -> tuple[ClaimedRow, dict[str, Any]] | None:
        """The row to call and its parameters, or None when it was settled here.

        An edit gets the message id of its original; a text edit whose original
        never reached the chat becomes a new message (:func:`posted`).
        """
        params = row.params
        if row.upload is not None:
            # A file goes out as a multipart part; PTB encodes an InputFile that way.
            upload = InputFile(row.upload.content, filename=row.upload.filename)
            params = {**params, row.upload.field: upload}
        if self.paid_broadcast and paid_broadcast_method(row.method):
            params = {**params, "allow_paid_broadcast": True}
        if row.edit_ref is None:
            return row, params
        message_id = self.refs.get((row.chat_id, row.edit_ref))
        reason = None
        if message_id == FAILED:
            reason = f"the message {row.edit_ref!r} was not delivered"
        elif message_id is None:
            status = row.original_status
            if status == "sent" and row.original_message_id is not None:
                message_id = row.original_message_id
            elif status is None:
                reason = f"no message {row.edit_ref!r} in this chat"
            elif status in ("dropped", "dead"):
                reason = f"the message {row.edit_ref!r} was not delivered"
            else:
                reason = f"the message id of {row.edit_ref!r} is unknown"
        # Only a message the chat does not have is posted anew; one whose id is
        # merely unknown here may exist, and a second copy would repeat it.
        missing = reason is not None and "is unknown" not in reason
        if missing and row.method.lower() == TEXT_EDIT:
            self.meters.incr(f"send.{row.method}.posted")
            return self._resolve(posted(row))
        if reason is not None:
            self._finish(row, Outcome(row.id, "dropped", error=reason), "dropped")
            return None
        return row, {**params, "message_id": message_id}

    def _sent(self, row: ClaimedRow, message_id: int | None) -> None:
        self.token.on_accepted()
        now = self.wall_clock()
        outcome = Outcome(row.id, "sent", attempted=True, message_id=message_id, sent_at=now)
        self._finish(row, outcome, "sent", message_id or FAILED)
        self.meters.timing("lag_ms", max(0.0, now - row.created_at) * 1000.0)

    def _failed(
        self, lane: Lane, row: ClaimedRow, params: dict[str, Any], decision: errors.Decision
    ) -> None:
        match decision:
            case errors.Success():
                self._sent(row, params.get("message_id"))
            case errors.Wait(seconds=seconds):
                scope = self.limiter.on_429(row.chat_id, seconds)
                self.meters.incr(f"429.{scope}")
                self.meters.incr(f"send.{row.method}.429")
                self.lanes.put_back(lane, row)
            case errors.Block(reason=reason):
                self._finish(row, Outcome(row.id, "dropped", True, error=reason), "dropped")
                for queued in self.lanes.drop_queued(lane):
                    self._finish(queued, Outcome(queued.id, "dropped", error=reason), "dropped")
                self.results.add(Blocked(row.chat_id, reason))
            case errors.Migrate(new_chat_id=new_chat_id):
                self.meters.incr(f"send.{row.method}.migrated")
                self.results.add(Migrated(row.chat_id, new_chat_id))
                self.lanes.migrate(lane, row, new_chat_id)
            case errors.Drop(reason=reason) if (
                row.method.lower() == TEXT_EDIT and _EDIT_TARGET_GONE in reason.lower()
            ):
                self.meters.incr(f"send.{row.method}.posted")
                self.lanes.put_back(lane, posted(row))
            case errors.Drop(reason=reason):
                self._finish(row, Outcome(row.id, "dropped", True, error=reason), "dropped")
            case errors.Retry(reason=reason):
                attempts = row.attempts + 1
                if attempts >= self.max_attempts:
                    self._finish(row, Outcome(row.id, "dead", True, error=reason), "dead")
                    return
                delay = errors.backoff(attempts, cap=RETRY_CAP_S, jitter=self.jitter())
                outcome = Outcome(row.id, "pending", True, retry_in=delay, error=reason)
                self.results.add(outcome)
                self.meters.incr(f"send.{row.method}.retry")
                self.lanes.hold(lane, row.id)
            case errors.Halt(reason=reason):
                self.lanes.put_back(lane, row)
                # Also when another call (an upload's getFile) started the wait.
                self.limiter.pause_all(self.token.hold(reason))

    def _finish(self, row: ClaimedRow, outcome: Outcome, label: str, ref_id: int = FAILED) -> None:
        self.results.add(outcome)
        self.meters.incr(f"send.{row.method}.{label}")
        if row.method == admins.METHOD and outcome.status in ("dead", "dropped"):
            # Without this the /stop requests waiting for the list would wait forever.
            self.results.add(AdminsUnavailable(row.chat_id))
        if row.ref is not None:
            key = (row.chat_id, row.ref)
            self.refs[key] = ref_id
            self.refs.move_to_end(key)
            if len(self.refs) > REFS_KEPT:
                self.refs.popitem(last=False)

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except TimeoutError:
            return False
        return True


def posted(edit: ClaimedRow) -> ClaimedRow:
    """A text edit as a new message with the same text and buttons.

    It takes the ref it edited, so the next edits of that ref edit this message.
    """
    params = {k: v for k, v in edit.params.items() if k not in ("message_id", "inline_message_id")}
    return replace(
        edit,
        method="sendMessage",
        params=params,
        ref=edit.edit_ref,
        edit_ref=None,
        original_status=None,
        original_message_id=None,
    )
