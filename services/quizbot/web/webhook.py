"""``POST /telegram/webhook``: where every update from Telegram lands.

Status codes are Telegram's retry protocol: any non-2xx is delivered again
later, so
- 403 when the secret header is wrong or missing (not Telegram: no retry helps),
- 413 when the body is larger than ``MAX_BODY_BYTES`` (read no further),
- 400 when the body is not JSON, or not a JSON object,
- 503 when the database cannot take the update now (unreachable, a lock held
  past ``lock_timeout``, any database error other than one about the update's
  own data): Telegram retries, and the update id (answers: the answers
  primary key) makes the retry safe,
- 200 otherwise, after the update's effect has committed. A button press gets
  its ``answerCallbackQuery`` in the response body ("reply in webhook"), which
  saves a Bot API call per answer and tells the player at once.

An update that can never be applied also gets a 200, so that Telegram stops
sending it: one that does not parse into well-typed fields
(``updates.invalid``), one the database refuses for its data (SQLSTATE
class 22 or 23: ``updates.rejected``), and one that hits a bug (``updates.failed``). Each is
logged with its update id and the reason, never with its contents.
"""

from __future__ import annotations

import hmac
import logging
import time
import traceback
from dataclasses import dataclass

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send
from telegram import Update as TelegramUpdate

from quizbot.domain.callbacks import AnswerData, decode_callback
from quizbot.store.answers import AnswerIn
from quizbot.store.database import describe_error, is_poison
from quizbot.web.buttons import COUNTERS, player_info, press_button
from quizbot.web.chats import apply_admin_change, apply_member_change, apply_migration
from quizbot.web.commands import handle_command
from quizbot.web.committer import Submission
from quizbot.web.inline import inline_answer
from quizbot.web.runtime import Runtime
from quizbot.web.salvage import CommitFailed
from quizbot.web.updates import (
    AdminChange,
    CallbackPress,
    Command,
    DocumentUpload,
    Ignored,
    InlineQuery,
    InvalidUpdate,
    MalformedUpdate,
    MemberChange,
    Migration,
    PollVote,
    PrivateText,
    Update,
    parse_update,
)
from quizbot.web.uploads import receive_upload
from quizbot.web.verdicts import Verdict, toasts
from quizbot.web.wizard import is_wizard_button, wizard_press, wizard_text

log = logging.getLogger(__name__)

SECRET_HEADER = b"x-telegram-bot-api-secret-token"
# Update types Telegram may send (python-telegram-bot keeps the list with the
# Bot API); anything else is counted as "other", so a client cannot mint
# metric names.
KNOWN_KINDS = frozenset(str(kind) for kind in TelegramUpdate.ALL_TYPES) | {"poll_answer_chat"}
JSON_TYPE = (b"content-type", b"application/json")


@dataclass(frozen=True, slots=True)
class Reply:
    """The HTTP answer to one update: a status and, for a button press, a Bot API call."""

    status: int
    body: bytes = b""


EMPTY = Reply(200)


class BodyTooLarge(Exception):
    """The request body is larger than ``MAX_BODY_BYTES``."""


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


async def read_body(receive: Receive, limit: int, declared: bytes | None) -> bytes:
    """The request body, refused as soon as it grows past ``limit`` bytes."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def secret_ok(supplied: bytes | None, expected: bytes) -> bool:
    """Constant-time comparison, so the secret cannot be guessed byte by byte."""
    return supplied is not None and hmac.compare_digest(supplied, expected)


def callback_answer(query_id: str, text: str) -> Reply:
    """A 200 whose body makes Telegram call answerCallbackQuery for us."""
    body = {"method": "answerCallbackQuery", "callback_query_id": query_id}
    if text:  # no text: the spinner stops, and nothing pops up
        body["text"] = text
    return Reply(200, orjson.dumps(body))


class Webhook:
    """The endpoint as a plain ASGI app.

    Starlette's Request/Response objects and exception wrappers cost more CPU
    than the rest of an answer's handling in the worker; this route is hit
    thousands of times a second, so it reads the scope's headers and writes the
    two response messages itself. The other routes use Starlette as usual.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        rt: Runtime = scope["app"].state.runtime
        supplied = declared = None
        for name, value in scope["headers"]:
            if name == SECRET_HEADER:
                supplied = value
            elif name == b"content-length":
                declared = value
        try:
            reply = await handle(rt, receive, supplied, declared)
        except ClientGone:
            return
        length = (b"content-length", str(len(reply.body)).encode())
        headers = [JSON_TYPE, length] if reply.body else [length]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})
        rt.meter.request("webhook", reply.status, started)


async def handle(
    rt: Runtime, receive: Receive, secret: bytes | None, length: bytes | None
) -> Reply:
    """Check, parse and apply one update; see the module docstring for the statuses."""
    if not secret_ok(secret, rt.secret):
        rt.meter.incr("updates.forbidden")
        return Reply(403)
    try:
        body = await read_body(receive, rt.settings.max_body_bytes, length)
        update = parse_update(body, rt.bot_username)
    except BodyTooLarge:
        rt.meter.incr("updates.too_large")
        return Reply(413)
    except MalformedUpdate as exc:
        log.info("malformed update: %s", exc)
        rt.meter.incr("updates.malformed")
        return Reply(400)
    except InvalidUpdate as exc:
        uid = "-" if exc.update_id is None else exc.update_id
        log.warning("invalid update %s acknowledged and dropped: %s", uid, exc.reason)
        rt.meter.incr("updates.invalid")
        return EMPTY
    try:
        return await dispatch(rt, update)
    except CommitFailed as exc:
        return _unavailable(rt, update, str(exc))
    except SQLAlchemyError as exc:
        if not is_poison(exc):  # away, stuck, or broken for everyone: worth a retry later
            return _unavailable(rt, update, describe_error(exc))
        log.warning(
            "update %d refused by the database (%s); acknowledged and dropped",
            update.update_id,
            describe_error(exc),
        )
        rt.meter.incr("updates.rejected")
        return EMPTY
    except Exception as exc:  # a bug: a retry would fail the same way, forever
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "update %d failed with %s at %s:%d; acknowledged and dropped",
            update.update_id,
            type(exc).__name__,
            where.filename,
            where.lineno,
        )
        rt.meter.incr("updates.failed")
        return EMPTY


def _unavailable(rt: Runtime, update: Update, reason: str) -> Reply:
    log.warning("update %d not applied, Telegram will retry: %s", update.update_id, reason)
    rt.meter.incr("updates.unavailable")
    return Reply(503)


async def dispatch(rt: Runtime, update: Update) -> Reply:
    """Apply an update; returns after its effect has committed."""
    match update:
        case CallbackPress():
            return await _press(rt, update)
        case PollVote():
            await _vote(rt, update)
        case Command():
            rt.meter.incr("updates.command")
            await run_in_threadpool(handle_command, rt, update)
        case PrivateText():
            rt.meter.incr("updates.private_text")
            await run_in_threadpool(wizard_text, rt, update)
        case DocumentUpload():
            rt.meter.incr("updates.document")
            await run_in_threadpool(receive_upload, rt, update)
        case MemberChange():
            rt.meter.incr("updates.my_chat_member")
            await run_in_threadpool(apply_member_change, rt, update)
        case InlineQuery():
            rt.meter.incr("updates.inline_query")
            answer = await run_in_threadpool(inline_answer, rt, update)
            return Reply(200, orjson.dumps(answer))
        case AdminChange():
            rt.meter.incr("updates.admin_change")
            await run_in_threadpool(apply_admin_change, rt, update)
        case Migration():
            rt.meter.incr("updates.migration")
            await run_in_threadpool(apply_migration, rt, update)
        case Ignored():
            kind = update.kind if update.kind in KNOWN_KINDS else "other"
            rt.meter.incr(f"updates.ignored.{kind}")
    return EMPTY


async def _press(rt: Runtime, press: CallbackPress) -> Reply:
    data = decode_callback(press.data) if press.data else None
    if isinstance(data, AnswerData):
        answer = AnswerIn(
            press.update_id,
            data.session_id,
            data.position,
            data.option,
            press.user.id,
            time.time(),
            # A press in the player's private chat clears a block mark on that chat.
            private_chat=press.chat_type == "private",
        )
        verdict = await rt.committer.submit(Submission(answer, player_info(press.user)))
        # The toast speaks the question message's language, carried by its button.
        return callback_answer(press.query_id, toasts(data.language)[verdict])
    if data is None and is_wizard_button(press.data):  # past the answers: no cost to them
        rt.meter.incr("updates.wizard")
        return callback_answer(press.query_id, await run_in_threadpool(wizard_press, rt, press))
    if data is None:
        # Not a button we made: a polite toast, and nothing is written.
        rt.meter.incr("answers.forged")
        return callback_answer(press.query_id, toasts(press.user.language_code)[Verdict.FORGED])
    rt.meter.incr(f"updates.{COUNTERS[type(data)]}")
    toast = await run_in_threadpool(press_button, rt, press, data)
    return callback_answer(press.query_id, toast)


async def _vote(rt: Runtime, vote: PollVote) -> None:
    if not vote.option_ids:  # a retracted vote; quiz polls do not allow it anyway
        rt.meter.incr("updates.ignored.poll_retract")
        return
    answer = AnswerIn(vote.update_id, -1, -1, vote.option_ids[0], vote.user.id, time.time())
    await rt.committer.submit(Submission(answer, player_info(vote.user), poll_id=vote.poll_id))
