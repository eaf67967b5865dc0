"""``POST /telegram/webhook``: where every update from Telegram lands.

Status codes are Telegram's retry protocol: any non-2xx is delivered again
later, so
- 403 when the secret header is wrong or missing (not Telegram: no retry helps),
- 413 when the body is larger than ``MAX_BODY_BYTES`` (read no further),
- 400 when the body is not a Telegram update,
- 503 when the database cannot take the update: Telegram retries, and the
  update id (answers: the answers primary key) makes the retry safe,
- 200 otherwise, after the update's effect has committed. A button press gets
  its ``answerCallbackQuery`` in the response body ("reply in webhook"), which
  saves a Bot API call per answer and tells the player at once.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from telegram import Update as TelegramUpdate

from quizbot.domain.callbacks import AnswerData, JoinData, StartData, decode_callback
from quizbot.store.answers import AnswerIn
from quizbot.store.updates import PlayerInfo
from quizbot.web.chats import apply_member_change, apply_migration
from quizbot.web.commands import handle_command
from quizbot.web.committer import CommitFailed, Submission
from quizbot.web.lobby import press_join, press_start
from quizbot.web.runtime import Runtime
from quizbot.web.updates import (
    CallbackPress,
    Command,
    Ignored,
    MalformedUpdate,
    MemberChange,
    Migration,
    PollVote,
    User,
    parse_update,
)
from quizbot.web.verdicts import TOASTS, Verdict

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Longer than any healthy flush by orders of magnitude; shorter than Telegram's
# own patience, so a stuck database turns into a 503 and a retry, not a hang.
COMMIT_TIMEOUT_S = 10.0
# Update types Telegram may send (python-telegram-bot keeps the list with the
# Bot API); anything else is counted as "other", so a client cannot mint
# metric names.
KNOWN_KINDS = frozenset(str(kind) for kind in TelegramUpdate.ALL_TYPES) | {"poll_answer_chat"}


class BodyTooLarge(Exception):
    """The request body is larger than ``MAX_BODY_BYTES``."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def secret_ok(supplied: str | None, expected: bytes) -> bool:
    """Constant-time comparison, so the secret cannot be guessed byte by byte."""
    return supplied is not None and hmac.compare_digest(supplied.encode(), expected)


def callback_answer(query_id: str, text: str) -> Response:
    """A 200 whose body makes Telegram call answerCallbackQuery for us."""
    body = {"method": "answerCallbackQuery", "callback_query_id": query_id, "text": text}
    return Response(orjson.dumps(body), media_type="application/json")


async def webhook(request: Request) -> Response:
    """Check, parse and apply one update; see the module docstring for the statuses."""
    rt: Runtime = request.app.state.runtime
    if not secret_ok(request.headers.get(SECRET_HEADER), rt.secret):
        rt.meter.incr("updates.forbidden")
        return Response(status_code=403)
    try:
        body = await read_body(request, rt.settings.max_body_bytes)
        update = parse_update(body, rt.bot_username)
    except BodyTooLarge:
        return Response(status_code=413)
    except MalformedUpdate as exc:
        log.info("malformed update: %s", exc)
        return Response(status_code=400)
    try:
        return await dispatch(rt, update)
    except (CommitFailed, SQLAlchemyError, TimeoutError) as exc:
        log.warning("update %d not applied, Telegram will retry: %s", update.update_id, exc)
        rt.meter.incr("updates.unavailable")
        return Response(status_code=503)


async def dispatch(rt: Runtime, update: object) -> Response:
    """Apply an update; returns after its effect has committed."""
    match update:
        case CallbackPress():
            return await _press(rt, update)
        case PollVote():
            await _vote(rt, update)
        case Command():
            rt.meter.incr("updates.command")
            await run_in_threadpool(handle_command, rt, update)
        case MemberChange():
            rt.meter.incr("updates.my_chat_member")
            await run_in_threadpool(apply_member_change, rt, update)
        case Migration():
            rt.meter.incr("updates.migration")
            await run_in_threadpool(apply_migration, rt, update)
        case Ignored():
            kind = update.kind if update.kind in KNOWN_KINDS else "other"
            rt.meter.incr(f"updates.ignored.{kind}")
    return Response(status_code=200)


def _player(user: User) -> PlayerInfo:
    return PlayerInfo(user.id, user.first_name, user.username, user.language_code)


async def _commit(rt: Runtime, submission: Submission) -> Verdict:
    future = rt.committer.submit(submission)
    async with asyncio.timeout(COMMIT_TIMEOUT_S):
        return await future


async def _press(rt: Runtime, press: CallbackPress) -> Response:
    data = decode_callback(press.data) if press.data else None
    if isinstance(data, AnswerData):
        answer = AnswerIn(
            press.update_id, data.session_id, data.position, data.option, press.user.id, time.time()
        )
        verdict = await _commit(rt, Submission(answer, _player(press.user)))
        return callback_answer(press.query_id, TOASTS[verdict])
    if isinstance(data, JoinData):
        rt.meter.incr("updates.join")
        toast = await run_in_threadpool(
            press_join, rt, press.update_id, data.session_id, _player(press.user)
        )
        return callback_answer(press.query_id, toast)
    if isinstance(data, StartData):
        rt.meter.incr("updates.start")
        toast = await run_in_threadpool(
            press_start, rt, press.update_id, data.session_id, _player(press.user)
        )
        return callback_answer(press.query_id, toast)
    # Not a button we made: a polite toast, and nothing is written.
    rt.meter.incr("answers.forged")
    return callback_answer(press.query_id, TOASTS[Verdict.FORGED])


async def _vote(rt: Runtime, vote: PollVote) -> None:
    if not vote.option_ids:  # a retracted vote; quiz polls do not allow it anyway
        rt.meter.incr("updates.ignored.poll_retract")
        return
    answer = AnswerIn(vote.update_id, -1, -1, vote.option_ids[0], vote.user.id, time.time())
    await _commit(rt, Submission(answer, _player(vote.user), poll_id=vote.poll_id))
