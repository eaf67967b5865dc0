"""Files in the simulator behave like Telegram's: a multipart sendDocument is
kept and shown in the chat, a user's document is downloadable, and getFile
gives the path that ``/file/bot<token>/`` serves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from telegram.error import BadRequest

from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import SimClient

TOKEN = "616161:file-token"
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def bot(sim: RunningSim) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=sim.bot_base_url, base_file_url=sim.file_base_url) as b:
        yield b


async def test_a_document_the_bot_uploads_is_in_the_chat_and_downloads_byte_for_byte(
    client: SimClient, bot: telegram.Bot
) -> None:
    ann = await asyncio.to_thread(client.user, "Ann")
    data = b"Capitals\n\nParis?\n* France\nSpain\n" + bytes(range(256))
    sent = await bot.send_document(
        ann.id, document=data, filename="capitals.txt", caption="Your quiz"
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("capitals.txt", len(data))
    [message] = await asyncio.to_thread(ann.bot_messages)
    assert message["caption"] == "Your quiz"
    assert message["document"]["file_name"] == "capitals.txt"
    file = await bot.get_file(message["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == data


async def test_a_users_document_is_fetched_through_get_file(
    client: SimClient, bot: telegram.Bot
) -> None:
    ben = await asyncio.to_thread(client.user, "Ben")
    text = "Birds\n\nWhich one flies?\n* Swift\nPenguin\n"
    message = await asyncio.to_thread(ben.send_document, "birds.txt", text, mime_type="text/plain")
    document = message["document"]
    assert (document["file_name"], document["file_size"]) == ("birds.txt", len(text))
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    assert update.message.document.file_id == document["file_id"]
    file = await bot.get_file(document["file_id"])
    assert file.file_path is not None and file.file_path.endswith(".txt")
    assert (await file.download_as_bytearray()).decode() == text


async def test_unknown_files_are_refused_like_telegram(sim: RunningSim, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")
    async with httpx.AsyncClient(base_url=sim.url, timeout=10) as http:
        missing = await http.get(f"/file/bot{TOKEN}/documents/file_99.txt")
    assert missing.status_code == 404
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(1, document="https://example.org/quiz.txt")


async def test_a_sent_document_counts_its_upload_size_in_the_journal(
    client: SimClient, bot: telegram.Bot
) -> None:
    await bot.send_document(5, document=b"x" * 300, filename="x.json", caption="c")
    call = client.request("GET", "/sim/calls")["calls"][-1]
    assert call["method"] == "sendDocument"
    assert call["params"]["document"] == {
        "filename": "x.json",
        "content_type": "application/json",
        "size": 300,
    }
