"""The bot token never survives into a log line: the redaction and the logging set-up."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator

import pytest
from telegram.error import InvalidToken

from quizbot import logs
from quizbot.settings import load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"  # Telegram's shape, 35 after ':'
ODD_TOKEN = "4242:short-test-token"  # not Telegram's shape: redacted only when configured
API = "http://127.0.0.1:8081"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{API}/bot{TOKEN}/sendMessage", f"{API}/bot<redacted>/sendMessage"),
        (
            f"The token `{TOKEN}` was rejected by the server.",
            "The token `<redacted>` was rejected by the server.",
        ),
        (
            repr(InvalidToken(f"The token `{TOKEN}` was rejected by the server.")),
            "InvalidToken('The token `<redacted>` was rejected by the server.')",
        ),
        (
            f"ClientConnectorError: Cannot connect to {API}/bot{TOKEN}/getMe [refused]",
            f"ClientConnectorError: Cannot connect to {API}/bot<redacted>/getMe [refused]",
        ),
        (f"{API}/bot{TOKEN.replace(':', '%3A')}/getMe", f"{API}/bot<redacted>/getMe"),
        (f"two: {TOKEN} and bot{TOKEN}", "two: <redacted> and bot<redacted>"),
        # Another bot's token is a secret too.
        ("999:" + "x" * 35, "<redacted>"),
        # What is not a token stays as it is.
        ("question 3 closed at 12:30:05", "question 3 closed at 12:30:05"),
        ("chat -1001234567890 migrated", "chat -1001234567890 migrated"),
        ("Forbidden: bot was blocked by the user", "Forbidden: bot was blocked by the user"),
        (f"{API}/bot{ODD_TOKEN}/getMe", f"{API}/bot{ODD_TOKEN}/getMe"),
    ],
)
def test_tokens_are_redacted_wherever_they_appear(text: str, expected: str) -> None:
    assert logs.redact(text, [TOKEN]) == expected


def test_the_configured_token_is_redacted_whatever_its_shape() -> None:
    scrub = logs.redactor(ODD_TOKEN, None)
    assert scrub(f"{API}/bot{ODD_TOKEN}/getMe: {ODD_TOKEN}") == (
        f"{API}/bot<redacted>/getMe: <redacted>"
    )
    assert scrub("nothing secret") == "nothing secret"


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """``logs.setup`` changes process-wide state; put it back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    factory = logging.getLogRecordFactory()
    hooks = sys.excepthook, threading.excepthook
    yield
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks


def _capture(stream: io.StringIO) -> None:
    """Send the root logger's output to ``stream`` with the set-up's format."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    logging.getLogger().handlers[:] = [handler]


@pytest.mark.usefixtures("logging_restored")
def test_every_log_record_is_redacted_message_arguments_and_traceback() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": ODD_TOKEN, "LOG_LEVEL": "DEBUG"})
    logs.setup("sender", settings)
    out = io.StringIO()
    _capture(out)
    log = logging.getLogger("aiohttp.client")  # a library's logger, not one of ours
    log.info("POST %s/bot%s/sendMessage", API, ODD_TOKEN)
    try:
        raise InvalidToken(f"The token `{ODD_TOKEN}` was rejected by the server.")
    except InvalidToken:
        log.exception("getMe failed for %s", f"bot{ODD_TOKEN}")
    log.warning("stack", stack_info=True, extra={"url": f"/bot{TOKEN}/x"})
    text = out.getvalue()
    assert ODD_TOKEN not in text
    assert f"POST {API}/bot<redacted>/sendMessage" in text
    assert "getMe failed for bot<redacted>" in text
    # The traceback is there, redacted: operators still see what failed.
    assert "Traceback (most recent call last)" in text
    assert "telegram.error.InvalidToken: The token `<redacted>` was rejected" in text
    assert " sender aiohttp.client INFO " in text


@pytest.mark.usefixtures("logging_restored")
def test_bad_log_arguments_are_redacted_and_do_not_raise() -> None:
    logs.setup("writer", load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}))
    out = io.StringIO()
    _capture(out)
    logging.getLogger("quizbot.test").warning("one %s %s", TOKEN)
    assert TOKEN not in out.getvalue()
    assert "unformattable log arguments" in out.getvalue()


@pytest.mark.usefixtures("logging_restored")
def test_uncaught_exceptions_are_logged_redacted_not_printed_raw() -> None:
    logs.setup("sender", load_settings({"TELEGRAM_BOT_TOKEN": ODD_TOKEN}))
    out = io.StringIO()
    _capture(out)
    try:
        raise InvalidToken(f"The token `{ODD_TOKEN}` was rejected by the server.")
    except InvalidToken as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    thread = threading.Thread(target=lambda: 1 / 0 if ODD_TOKEN else None, name=ODD_TOKEN)
    thread.start()
    thread.join()
    text = out.getvalue()
    assert ODD_TOKEN not in text
    assert "CRITICAL uncaught exception" in text
    assert "ZeroDivisionError" in text
