"""A document in a message: a possible quiz in a private chat, nothing in a group."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from quizbot.web.updates import DocumentUpload, Ignored, InvalidUpdate, Update, parse_update

USER = {"id": 42, "is_bot": False, "first_name": "Ada", "language_code": "es"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Ada"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Quiz night"}
DOC = {"file_id": "BQAC1", "file_unique_id": "u1", "file_name": "quiz.txt", "file_size": 812}


def parse(chat: dict[str, Any], document: dict[str, Any], **extra: Any) -> Update:
    message = {"message_id": 1, "date": 1, "chat": chat, "from": USER, "document": document}
    return parse_update(orjson.dumps({"update_id": 9, "message": {**message, **extra}}))


def test_a_document_in_a_private_chat_keeps_its_file_and_sender() -> None:
    update = parse(PRIVATE, DOC, caption="my quiz")
    assert isinstance(update, DocumentUpload)
    assert (update.chat_id, update.user.id, update.user.language_code) == (42, 42, "es")
    assert (update.file_id, update.file_name, update.file_size) == ("BQAC1", "quiz.txt", 812)


def test_a_document_without_a_name_or_size_is_still_read() -> None:
    update = parse(PRIVATE, {"file_id": "BQAC2", "file_unique_id": "u2"})
    assert isinstance(update, DocumentUpload)
    assert (update.file_name, update.file_size) == ("", None)


def test_a_document_in_a_group_is_not_for_the_bot() -> None:
    assert parse(GROUP, DOC) == Ignored(9, "message")


@pytest.mark.parametrize(
    "document",
    [
        {**DOC, "file_id": 5},
        {**DOC, "file_size": "812"},
        {**DOC, "file_name": ["quiz.txt"]},
        {"file_unique_id": "u"},
    ],
)
def test_a_document_with_broken_fields_is_invalid(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidUpdate):
        parse(PRIVATE, document)
