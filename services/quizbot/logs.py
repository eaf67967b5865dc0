"""Logging for every quizbot program: one set-up, and no bot token in any line.

Every entry point calls :func:`setup` before it logs: the daemons' ``main``,
the ``quizbot`` command, and ``config/gunicorn.conf.py`` for the web tier (in
the master, so the workers inherit it when they fork).

The bot token is the bot's password: whoever reads it can send as the bot.
Libraries put it into text they raise or log. python-telegram-bot's
``InvalidToken`` says "The token `…` was rejected by the server", and aiohttp's
errors carry the request URL, ``…/bot<token>/sendMessage``. So every log record
is redacted as it is created (:func:`redact`): its message, its arguments and its
traceback. The redaction runs in the record factory rather than in a handler's
filter, because gunicorn and uvicorn install handlers of their own, and a filter
on one handler does not see the records that other handlers write. Uncaught
exceptions are logged through the same path instead of printed raw. Errors
stored in the outbox go through :func:`redact` too (``sender.results``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from quizbot.settings import Settings

REDACTED = "<redacted>"
FORMAT = "%(asctime)s %(program)s %(name)s %(levelname)s %(message)s"
# Telegram's token shape, "<bot id>:<35 characters>": the one this bot runs
# with, and any other that a message or URL carries.
TOKEN_SHAPE = re.compile(r"(bot)?\d+:[A-Za-z0-9_-]{30,}")

_base_factory = logging.getLogRecordFactory()
_traceback = logging.Formatter()


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every bot token replaced: ``bot<token>`` by ``bot<redacted>``, a
    bare token by ``<redacted>``.

    ``secrets`` are replaced literally (and URL-quoted) whatever their shape; any
    other string of Telegram's token shape is replaced too.
    """
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, secret.replace(":", "%3A"), secret.replace(":", "%3a")}:
            text = text.replace("bot" + form, "bot" + REDACTED).replace(form, REDACTED)
    return TOKEN_SHAPE.sub(_replace_token, text)


def _replace_token(match: re.Match[str]) -> str:
    return "bot" + REDACTED if match.group(1) else REDACTED


def redactor(*secrets: str | None) -> Callable[[str], str]:
    """:func:`redact` with these ``secrets`` (``None`` and empty ones are ignored)."""
    return functools.partial(redact, secrets=tuple(s for s in secrets if s))


def redact_record(record: logging.LogRecord, scrub: Callable[[str], str]) -> None:
    """Redact ``record`` in place: its message (arguments merged in) and traceback."""
    try:
        message = record.getMessage()
    except Exception:  # bad arguments must not turn a log call into a crash
        message = f"{record.msg} (unformattable log arguments: {record.args!r})"
    record.msg, record.args = scrub(message), None
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters print exc_text as it is; without exc_info none can re-format
        # the raw exception.
        record.exc_text = scrub(_traceback.formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, program, logger,
    message and, when there is one, the exception's traceback. The record is
    already redacted (the record factory ran first)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "program": getattr(record, "program", None),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def setup(program: str, settings: Settings | None, *, level: str | None = None) -> None:
    """Configure logging for ``program`` (web, sender, writer, cli, ...), redacting the token.

    ``level`` overrides ``LOG_LEVEL``. Calling it again replaces the previous set-up.
    """
    token = settings.telegram_bot_token if settings is not None else None
    scrub = redactor(token)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = _base_factory(*args, **kwargs)
        record.program = program
        redact_record(record, scrub)
        return record

    logging.setLogRecordFactory(factory)
    chosen = level or (settings.log_level if settings is not None else "INFO")
    logging.basicConfig(level=chosen.upper(), format=FORMAT, force=True)
    if settings is not None and settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    log = logging.getLogger(f"quizbot.{program}")

    def uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.critical("uncaught exception", exc_info=(kind, exc, tb))

    def uncaught_in_thread(hook: threading.ExceptHookArgs) -> None:
        if hook.exc_type is SystemExit or hook.exc_value is None:
            return
        log.critical(
            "uncaught exception in thread %s",
            hook.thread.name if hook.thread else "?",
            exc_info=(hook.exc_type, hook.exc_value, hook.exc_traceback),
        )

    sys.excepthook = uncaught
    threading.excepthook = uncaught_in_thread
