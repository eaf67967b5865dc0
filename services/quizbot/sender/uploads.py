"""The upload worker: quiz files users sent, downloaded, imported and answered.

It runs inside the sender's tenure (one per bot token, like every Bot API
call) as the task ``uploads``, off the webhook's path: the web tier only
records a request (:mod:`quizbot.web.uploads`). For each request, oldest
first: getFile and the download (through the sender's Bot), then one
transaction that reads the file with the parser ``quizbot quiz import``
uses, stores the quiz as the sender's own (private) and queues the reply:
the quiz with Play buttons, or every problem with its line. A bad file
imports nothing. A file that edits a quiz (caption ``edit <slug>``) replaces
its content while it was never played, and becomes a new quiz after that.

A download that fails for a while (Telegram's 5xx, timeouts, a 429) is
tried again with backoff, up to :data:`MAX_ATTEMPTS`; one Telegram refuses
for good (an unknown file) is answered at once. While Telegram rejects the
bot's token (401), a request waits as the queued messages do
(:mod:`quizbot.sender.token`), and those tries do not count.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from quizbot.domain import myquizzes, uploads
from quizbot.domain.formatting import escape
from quizbot.domain.language import Translator
from quizbot.domain.ownership import Action, Actor
from quizbot.domain.problems import QuizFileError
from quizbot.domain.quiz import Quiz
from quizbot.locales import translator
from quizbot.store.events import first_set
from quizbot.store.languages import chat_language
from quizbot.store.outage import Stopped
from quizbot.store.outbox import reply
from quizbot.store.owned import owned_count, quiz_by_id
from quizbot.store.quizfiles import parse_quiz
from quizbot.store.quizzes import played, replace_content, save_owned_quiz
from quizbot.store.uploads import UploadRequest, claim_upload, finish_upload, retry_upload
from quizbot.telegram import errors

if TYPE_CHECKING:
    import asyncio

    from quizbot.sender.daemon import Sender

log = logging.getLogger(__name__)

# getFile and download one file; None when it is over the size given.
Download = Callable[[str, int], Awaitable[bytes | None]]
MAX_ATTEMPTS = 5
POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class UploadRules:
    """What an import may make: the per-user quotas, and the bot's name for Play links."""

    quizzes_per_user: int
    questions_per_quiz: int
    bot_username: str | None


class UploadWorker:
    """Takes requests one at a time while the tenure lasts."""

    def __init__(self, sender: Sender, download: Download, rules: UploadRules) -> None:
        self.s = sender
        self.download = download
        self.rules = rules

    async def run(self, ending: asyncio.Event) -> None:
        """Work until ``ending``; a database outage is waited out."""
        while not ending.is_set():
            try:
                job = await self.s.retry(lambda: self.s.query(claim_upload), ending, "uploads")
                if job is None:
                    await first_set(ending, within=POLL_S)
                    continue
                await self._work(job, ending)
            except Stopped:
                return

    async def _work(self, job: UploadRequest, ending: asyncio.Event) -> None:
        try:
            data = await self.download(job.file_id, uploads.MAX_BYTES)
        except Exception as exc:
            decision = errors.decide(exc)
            reason = self.s.scrub(str(exc))
            if isinstance(decision, errors.Halt):
                # The token, not the file: the operator fixes it, then the file imports.
                delay = self.s.token.hold(reason)
                log.warning("upload %d: the bot token was rejected; again in %.1f s", job.id, delay)
                uncounted = functools.partial(retry_upload, counted=False)
                await self._db(uncounted, job.id, delay, reason, ending=ending)
                return
            transient = isinstance(decision, errors.Wait | errors.Retry)
            if transient and job.attempts < MAX_ATTEMPTS:
                delay = (
                    decision.seconds
                    if isinstance(decision, errors.Wait)
                    else errors.backoff(job.attempts, cap=30.0, jitter=random.random())
                )
                log.warning(
                    "upload %d: download failed (%s); again in %.1f s", job.id, reason, delay
                )
                await self._db(retry_upload, job.id, delay, reason, ending=ending)
                return
            log.warning("upload %d: download failed for good: %s", job.id, reason)
            self.s.meters.incr("uploads.not_downloaded")
            await self._db(not_downloaded, job, reason, ending=ending)
            return
        self.s.token.on_accepted()
        try:
            outcome = await self._db(import_upload, job, data, self.rules, ending=ending)
        except Stopped:
            raise
        except Exception:
            # A file that breaks the import must not stop the sender: it is answered and closed.
            log.exception("upload %d: import failed", job.id)
            outcome = await self._db(not_downloaded, job, "import failed", ending=ending)
        self.s.meters.incr(f"uploads.{outcome}")

    async def _db(self, fn: Callable[..., object], *args: object, ending: asyncio.Event) -> str:
        result = await self.s.retry(lambda: self.s.query(fn, *args), ending, "uploads")
        return str(result)


def import_upload(
    conn: Connection, job: UploadRequest, data: bytes | None, rules: UploadRules
) -> str:
    """Read, check and store one downloaded file, and queue the replies; returns the outcome."""
    tr = translator(chat_language(conn, job.chat_id))
    name = escape(job.file_name)
    fmt = uploads.file_format(job.file_name)
    if data is None or fmt is None:
        return _refuse(conn, job, [tr.gettext(uploads.TOO_BIG).format(name=name)], "too_big")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(conn, job, [tr.gettext(uploads.NOT_TEXT).format(name=name)], "not_text")
    try:
        quiz = parse_quiz(text, fmt, source=job.file_name)
    except QuizFileError as exc:
        return _refuse(conn, job, uploads.problems(job.file_name, exc.problems, tr), "problems")
    if len(quiz.questions) > rules.questions_per_quiz:
        message = tr.gettext(uploads.TOO_MANY_QUESTIONS).format(
            name=name, count=len(quiz.questions), most=rules.questions_per_quiz
        )
        return _refuse(conn, job, [message], "over_quota")
    message, old, outcome = uploads.IMPORTED, "", "imported"
    if job.replaces_quiz_id is not None:
        target = quiz_by_id(conn, job.replaces_quiz_id, Actor(user_id=job.user_id), Action.EDIT)
        if target is None:  # deleted since the file was sent
            return _refuse(conn, job, [tr.gettext(myquizzes.NOT_YOURS)], "not_yours")
        if not played(conn, target.id):
            replace_content(conn, target.id, quiz)
            return _done(conn, job, quiz, target.slug, target.id, rules, tr, uploads.EDITED)
        # Its questions are history: the edit becomes a new quiz.
        message, old, outcome = uploads.COPIED, target.title, "copied"
    if owned_count(conn, job.user_id) >= rules.quizzes_per_user:
        message = uploads.too_many_quizzes(rules.quizzes_per_user, tr)
        return _refuse(conn, job, [message], "over_quota")
    saved = save_owned_quiz(conn, quiz, job.user_id)
    _done(conn, job, quiz, saved.slug, saved.quiz_id, rules, tr, message, old)
    return outcome


def _done(
    conn: Connection,
    job: UploadRequest,
    quiz: Quiz,
    slug: str,
    quiz_id: int,
    rules: UploadRules,
    tr: Translator,
    message: str,
    old: str = "",
) -> str:
    text, keyboard = uploads.imported(
        quiz.title, slug, len(quiz.questions), rules.bot_username, tr, message=message, old=old
    )
    reply(conn, job.chat_id, text, keyboard)
    finish_upload(conn, job.id, quiz_id)
    return "edited"


def not_downloaded(conn: Connection, job: UploadRequest, reason: str) -> str:
    """Tell the sender their file could not be fetched, and close the request."""
    tr = translator(chat_language(conn, job.chat_id))
    message = tr.gettext(uploads.NOT_DOWNLOADED).format(name=escape(job.file_name))
    return _refuse(conn, job, [message], "not_downloaded", reason)


def _refuse(
    conn: Connection, job: UploadRequest, messages: list[str], outcome: str, error: str = ""
) -> str:
    for message in messages:
        reply(conn, job.chat_id, message)
    finish_upload(conn, job.id, None, error or outcome)
    return outcome
