"""The webhook's pure parts: the secret check and the size-limited body read."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from quizbot.web.webhook import BodyTooLarge, ClientGone, callback_answer, read_body, secret_ok


def receiver(*messages: dict[str, Any]):  # type: ignore[no-untyped-def]
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    return receive


def chunk(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


@pytest.mark.parametrize(
    ("supplied", "ok"), [(b"s3cret", True), (b"s3cre", False), (b"", False), (None, False)]
)
def test_only_the_exact_secret_passes(supplied: bytes | None, ok: bool) -> None:
    assert secret_ok(supplied, b"s3cret") is ok


def test_a_chunked_body_is_joined() -> None:
    receive = receiver(chunk(b"ab", True), chunk(b"cd", False))
    assert asyncio.run(read_body(receive, 10, None)) == b"abcd"


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_body(receiver(), 10, b"11"))


def test_a_body_growing_past_the_limit_is_refused_while_streaming() -> None:
    receive = receiver(chunk(b"123456", True), chunk(b"78901", True))
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_body(receive, 10, None))


def test_a_client_gone_mid_body_is_reported() -> None:
    receive = receiver(chunk(b"12", True), {"type": "http.disconnect"})
    with pytest.raises(ClientGone):
        asyncio.run(read_body(receive, 10, None))


def test_the_callback_answer_is_a_bot_api_call() -> None:
    reply = callback_answer("77", "✅ Answer locked in")
    assert reply.status == 200
    assert orjson.loads(reply.body) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "77",
        "text": "✅ Answer locked in",
    }
