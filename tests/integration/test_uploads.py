"""Quizzes sent as files: through the fake Telegram, the real webhook (gunicorn,
pgbouncer, PostgreSQL) and the real sender, whose upload worker downloads
each file with getFile, imports it and replies."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.problems import QuizFileError
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import SimClient
from quizbot.store.quizfiles import FORMATS, export_quiz, load_quiz_file
from quizbot.store.quizzes import sample_files
from tests.integration.sender_harness import (
    calls,
    sim_get,
    sim_post,
)
from tests.integration.webtier import BOT_USERNAME
from tests.integration.whole_bot import REPLY_S, bot, replies, send

THREE_ERRORS = Path(__file__).parents[1] / "data" / "three-errors.txt"


def owned(engine: Engine, user_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT slug, title, content_hash, visibility::text AS visibility, "
                    "question_count FROM quizzes WHERE owner_id = :u ORDER BY id"
                ),
                {"u": user_id},
            )
        )


async def played(engine: Engine, chat_id: int) -> None:
    """Wait until the webhook has started a session in ``chat_id`` (no writer runs here)."""
    query = sa.text("SELECT count(*) FROM sessions WHERE chat_id = :c")
    for _ in range(int(REPLY_S / 0.1)):
        with engine.connect() as conn:
            if conn.scalar(query, {"c": chat_id}):
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no session in chat {chat_id} after {REPLY_S} s")


async def test_every_sample_exported_in_every_format_uploads_back_with_its_content_hash(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    samples = [load_quiz_file(path) for path in sample_files()]
    # One goes with shuffle on: the switch is content, and must survive each format.
    samples[0] = dataclasses.replace(samples[0], shuffle=True)
    ann = control.user("Ann", id=7001)
    async with bot(settings, sim, pooled_url, tmp_path):
        for n, (quiz, fmt) in enumerate((q, f) for q in samples for f in FORMATS):
            await send(ann, f"{quiz.slug}.{fmt}", export_quiz(quiz, fmt))
            [done] = await replies(ann, n, 1)
            assert f"{quiz.title} is yours" in done["text"]
            buttons = [b["url"] for row in done["reply_markup"]["inline_keyboard"] for b in row]
            assert all(url.startswith(f"https://t.me/{BOT_USERNAME}?start") for url in buttons)
    made = owned(engine, 7001)
    expected = [(q.title, q.content_hash(), len(q.questions)) for q in samples for _ in FORMATS]
    assert [(r.title, r.content_hash, r.question_count) for r in made] == expected
    assert {r.visibility for r in made} == {"private"}
    assert len({r.slug for r in made}) == len(made)  # one owner, one slug each


async def test_a_file_with_three_planted_errors_reports_each_on_its_line_and_imports_nothing(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    with pytest.raises(QuizFileError) as parsed:
        load_quiz_file(THREE_ERRORS)
    ben = control.user("Ben", id=7002)
    async with bot(settings, sim, pooled_url, tmp_path):
        await send(ben, "three-errors.txt", THREE_ERRORS.read_text(encoding="utf-8"))
        [report] = await replies(ben, 0, 1)
    lines = report["text"].splitlines()
    assert "three-errors.txt was not imported" in lines[0]
    assert lines[1:] == ["• " + str(problem) for problem in parsed.value.problems]
    assert [line.split(",")[0] for line in lines[1:]] == ["• line 3", "• line 9", "• line 10"]
    assert owned(engine, 7002) == []


async def test_a_file_over_a_megabyte_or_not_a_quiz_is_refused_without_a_download(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    cy = control.user("Cy", id=7003)
    big = "Big\n\n" + "Q?\n* a\nb\n\n" * 120_000
    assert len(big.encode()) > 1024 * 1024
    async with bot(settings, sim, pooled_url, tmp_path):
        await send(cy, "big.txt", big)
        [too_big] = await replies(cy, 0, 1)
        await send(cy, "notes.pdf", "%PDF-1.4", mime_type="application/pdf")
        [wrong] = await replies(cy, 1, 1)
    assert "is over 1 MB" in too_big["text"]
    assert "none of those" in wrong["text"]
    assert calls(sim, "getFile") == []
    assert owned(engine, 7003) == []


async def test_the_quota_of_quizzes_per_user_is_kept(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    quiz = load_quiz_file(sample_files()[0])
    dee = control.user("Dee", id=7004)
    async with bot(settings, sim, pooled_url, tmp_path, quota=1):
        await send(dee, "one.yaml", export_quiz(quiz, "yaml"))
        [first] = await replies(dee, 0, 1)
        # The web tier counts too: with one quiz kept, the next file is refused at once.
        await send(dee, "two.yaml", export_quiz(dataclasses.replace(quiz, title="Two"), "yaml"))
        [second] = await replies(dee, 1, 1)
    assert "is yours" in first["text"]
    assert "the most one person may keep" in second["text"]
    assert [r.title for r in owned(engine, 7004)] == [quiz.title]


async def test_a_file_captioned_edit_changes_a_quiz_until_it_is_played_then_makes_a_copy(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    quiz = load_quiz_file(sample_files()[0])
    shorter = dataclasses.replace(quiz, title="Shorter", questions=quiz.questions[:2])
    renamed = dataclasses.replace(shorter, title="Renamed")
    eve, mallory = control.user("Eve", id=7005), control.user("Mallory", id=7006)
    async with bot(settings, sim, pooled_url, tmp_path):
        await send(eve, "q.yaml", export_quiz(quiz, "yaml"))
        await replies(eve, 0, 1)
        [first] = owned(engine, 7005)
        edit = {"caption": f"edit {first.slug}"}
        await send(mallory, "q.txt", export_quiz(shorter, "txt"), **edit)
        [refused] = await replies(mallory, 0, 1)
        await send(eve, "q.txt", export_quiz(shorter, "txt"), **edit)
        [edited] = await replies(eve, 1, 1)
        after_edit = owned(engine, 7005)
        await asyncio.to_thread(eve.send, f"/play {first.slug}")
        await played(engine, 7005)  # a session uses it: its questions are history now
        await send(eve, "q.json", export_quiz(renamed, "json"), caption=f"/edit {first.slug}")
        [copied] = await replies(eve, 2, 1)
    assert "no quiz called" in refused["text"]
    assert "Shorter is updated: 2 questions" in edited["text"]
    assert [(r.slug, r.content_hash) for r in after_edit] == [(first.slug, shorter.content_hash())]
    assert "Shorter has been played" in copied["text"] and "Renamed" in copied["text"]
    final = owned(engine, 7005)
    assert [(r.title, r.content_hash) for r in final] == [
        ("Shorter", shorter.content_hash()),
        ("Renamed", renamed.content_hash()),
    ]
    assert owned(engine, 7006) == []


def upload_rows(engine: Engine, user_id: int) -> list[tuple[str, int, bool]]:
    """(status, attempts, made a quiz) of each file ``user_id`` sent, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status::text, attempts, quiz_id IS NOT NULL FROM uploads"
                " WHERE user_id = :u ORDER BY id"
            ),
            {"u": user_id},
        )
        return [(str(s), int(a), bool(q)) for s, a, q in rows]


async def test_a_getfile_or_download_telegram_fails_for_a_while_is_tried_again_and_imported_once(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    quiz = load_quiz_file(sample_files()[0])
    other = dataclasses.replace(quiz, title="Other", slug="other")
    fourth = dataclasses.replace(quiz, title="Fourth", slug="fourth")
    fay = control.user("Fay", id=7007)
    async with bot(settings, sim, pooled_url, tmp_path):
        # getFile answers 502 twice, then works: the worker backs off and tries again.
        sim_post(sim, "/sim/faults", {"error_next": 2, "error_status": 502, "methods": ["getFile"]})
        await send(fay, "one.txt", export_quiz(quiz, "txt"))
        [first] = await replies(fay, 0, 1)
        # Flood control (429, retry_after 1 s) once: the worker waits as told.
        sim_post(sim, "/sim/faults", {"error_next": 1, "error_status": 429})
        await send(fay, "two.json", export_quiz(other, "json"))
        [second] = await replies(fay, 1, 1)
        # Five failures in a row: the file is given up, and nothing is imported.
        sim_post(sim, "/sim/faults", {"error_next": 5, "error_status": 503})
        await send(fay, "three.yaml", export_quiz(dataclasses.replace(quiz, slug="x"), "yaml"))
        [third] = await replies(fay, 2, 1)
        # getFile works, the download from the file server fails twice.
        sim_post(sim, "/sim/faults", {"error_next": 2, "error_status": 502, "methods": ["file"]})
        await send(fay, "four.yaml", export_quiz(fourth, "yaml"))
        [fourth_done] = await replies(fay, 3, 1)
        await asyncio.sleep(1.0)  # time for a wrong second import or reply to show
    by_method = sim_get(sim, "/sim/stats")["by_method"]
    assert by_method["getFile"] == {"502": 2, "429": 1, "503": 5, "200": 5}
    assert by_method["file"] == {"502": 2}
    assert "is yours" in first["text"] and "Other is yours" in second["text"]
    assert "I could not download three.yaml" in third["text"]
    assert "Fourth is yours" in fourth_done["text"]
    assert len(fay.bot_messages()) == 4  # one reply per file, no second import
    assert upload_rows(engine, 7007) == [
        ("done", 3, True), ("done", 2, True), ("failed", 5, False), ("done", 3, True),
    ]  # fmt: skip
    made = owned(engine, 7007)
    assert [(r.title, r.content_hash) for r in made] == [
        (quiz.title, quiz.content_hash()),
        ("Other", other.content_hash()),
        ("Fourth", fourth.content_hash()),
    ]


async def test_a_file_sent_while_telegram_rejects_the_token_waits_and_imports_once_it_is_accepted(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    quiz = load_quiz_file(sample_files()[0])
    gus = control.user("Gus", id=7008)
    async with bot(settings, sim, pooled_url, tmp_path) as sender:
        sender.token.base_s, sender.token.cap_s = 0.1, 0.4  # the test's time, not 5 s to 5 min
        # A revoked token: getFile is refused 401 more times than a file has tries.
        sim_post(sim, "/sim/faults", {"error_next": 8, "error_status": 401, "methods": ["getFile"]})
        await send(gus, "revoked.txt", export_quiz(quiz, "txt"))
        [done] = await replies(gus, 0, 1)
        assert not sender.token.rejected  # the accepted getFile ended the wait
        await asyncio.sleep(1.0)  # time for a wrong second import or reply to show
    by_method = sim_get(sim, "/sim/stats")["by_method"]
    assert by_method["getFile"] == {"401": 8, "200": 1}
    assert "is yours" in done["text"]
    assert len(gus.bot_messages()) == 1
    # The refusals were the token's, not the file's: one try counted.
    assert upload_rows(engine, 7008) == [("done", 1, True)]
    assert [r.content_hash for r in owned(engine, 7008)] == [quiz.content_hash()]
