"""A user's own quizzes through the real webhook (gunicorn, pgbouncer, PostgreSQL):
who finds, plays, exports, deletes and sees the statistics of a private quiz,
and what /myquizzes, its share link, its exports and its delete do.

Replies are outbox rows (the sender delivers them); toasts are the webhook's
own answer (answerCallbackQuery in the response body).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain import limits
from quizbot.domain.scoring import ScoringRules
from quizbot.domain.session import Status
from quizbot.store.quizfiles import export_quiz, parse_quiz
from quizbot.store.quizzes import import_quiz, load_quiz, save_owned_quiz
from quizbot.store.results import finish_session
from tests.conftest import PgServer
from tests.integration.test_cli_quiz import run
from tests.integration.webtier import command, open_question, post, press, seed_quiz

OWNER = 8001
STRANGER = 8002
GROUP = -1001234500


# The module's tests share one web server (conftest), and nothing else.
pytestmark = pytest.mark.usefixtures("fresh_database")


@pytest.fixture
def secret_quiz(db: Engine) -> int:
    """The owner's private quiz ``secret``, beside the operator's public ``capitals``."""
    public_id = seed_quiz(db, slug="capitals")
    with db.begin() as conn:
        quiz = dataclasses.replace(load_quiz(conn, public_id), slug="secret", title="Secret")
        return save_owned_quiz(conn, quiz, OWNER).quiz_id


def said(db: Engine, chat_id: int) -> list[dict[str, Any]]:
    """What the bot queued for ``chat_id``, oldest first: method, params and file."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT o.method, o.params, f.filename, f.content FROM outbox o"
                " LEFT JOIN outbox_files f ON f.outbox_id = o.id"
                " WHERE o.chat_id = :chat ORDER BY o.id"
            ),
            {"chat": chat_id},
        )
        return [
            {
                "method": r.method,
                **r.params,
                "file": (r.filename, r.content) if r.filename else None,
            }
            for r in rows
        ]


def toast(response: httpx.Response) -> str:
    assert response.status_code == 200
    text: str = response.json().get("text", "")
    return text


def finished_game(db: Engine, quiz_id: int) -> int:
    """A game of the quiz in another group, finished by the writer's own code: two players,
    no answers."""
    session_id = open_question(db, quiz_id, players=2, position=2)
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE sessions SET chat_id = :c, started_at = now() WHERE id = :s"),
                     {"c": GROUP - 1, "s": session_id})  # fmt: skip
        assert finish_session(conn, session_id, Status.FINISHED, datetime.now(UTC), ScoringRules())
    return session_id


def sessions(db: Engine, chat_id: int) -> list[int]:
    with db.connect() as conn:
        return list(
            conn.scalars(sa.text("SELECT quiz_id FROM sessions WHERE chat_id = :c"), {"c": chat_id})
        )


def buttons(message: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def test_a_private_quiz_is_its_owners_alone(
    db: Engine, server: WebServer, client: httpx.Client, secret_quiz: int
) -> None:
    for text in ("/play secret", "/stats secret", "/top secret", "/quizzes"):
        post(client, server, command(text, STRANGER)).raise_for_status()
    post(client, server, command("/live secret", STRANGER, chat_id=GROUP)).raise_for_status()
    refusals = [press(f"m:{a}:{secret_quiz}", STRANGER, chat_id=STRANGER) for a in "odDytse"]
    toasts = [toast(post(client, server, update)) for update in refusals]
    game = finished_game(db, secret_quiz)
    csv_refused = toast(post(client, server, press(f"x:{game}", STRANGER, chat_id=STRANGER)))

    replies = [m["text"] for m in said(db, STRANGER)]
    assert all("There is no quiz called <code>secret</code>" in r for r in replies[:3])
    assert "capitals" in replies[3] and "secret" not in replies[3]
    assert "There is no quiz called" in said(db, GROUP)[0]["text"]
    assert toasts == ["That quiz is not yours, or it was deleted."] * 7
    assert csv_refused == "That game has no results, or it is not yours."
    assert len(said(db, STRANGER)) == 4  # no card, question, file, statistics or edit menu
    assert sessions(db, STRANGER) == [] and sessions(db, GROUP) == []
    with db.connect() as conn:
        assert conn.scalar(sa.text("SELECT deleted_at FROM quizzes WHERE id = :i"),
                           {"i": secret_quiz}) is None  # fmt: skip

    # Its owner finds it, lists it, sees how it went, gets a game's results and plays it.
    post(client, server, command("/quizzes", OWNER)).raise_for_status()
    post(client, server, press(f"m:s:{secret_quiz}", OWNER, chat_id=OWNER)).raise_for_status()
    assert toast(post(client, server, press(f"x:{game}", OWNER, chat_id=OWNER))) == (
        "⬇️ Sending the file…"
    )
    post(client, server, command("/play secret", OWNER)).raise_for_status()
    listing, page, csv_file = said(db, OWNER)
    assert "secret" in listing["text"] and "Plays: 1 · Players: 2" in page["text"]
    assert [b["callback_data"] for b in buttons(page)] == [f"x:{game}"]
    assert csv_file["file"][0].endswith(f"-{game}.csv")
    assert sessions(db, OWNER) == [secret_quiz]
    # Pressed under /stats asked in a group, the file still goes to the owner alone.
    in_group = len(said(db, GROUP))
    post(client, server, press(f"x:{game}", OWNER, chat_id=GROUP)).raise_for_status()
    assert len(said(db, GROUP)) == in_group
    assert said(db, OWNER)[-1]["file"] == csv_file["file"]


def test_myquizzes_shares_exports_and_deletes_a_quiz(
    db: Engine, server: WebServer, client: httpx.Client, secret_quiz: int
) -> None:
    post(client, server, command("/myquizzes", OWNER)).raise_for_status()
    [listing] = said(db, OWNER)
    assert [b["callback_data"] for b in buttons(listing)] == [f"m:o:{secret_quiz}"]

    post(client, server, press(f"m:o:{secret_quiz}", OWNER, chat_id=OWNER)).raise_for_status()
    card = said(db, OWNER)[1]
    link = next(word for word in card["text"].split() if "?start=q-" in word)
    payload = link.split("?start=")[1]
    assert len(payload) == len("q-") + limits.SHARE_TOKEN_LEN <= limits.START_PAYLOAD_MAX
    urls = [b.get("url", "") for b in buttons(card)]
    assert any("?startgroup=play-secret" in url for url in urls)

    # Anyone with the link plays the private quiz; its slug still finds nothing for them.
    post(client, server, command(f"/start {payload}", STRANGER)).raise_for_status()
    assert sessions(db, STRANGER) == [secret_quiz]

    # Exports come as files through the outbox; a Telegram retry sends no second one.
    export = press(f"m:y:{secret_quiz}", OWNER, chat_id=OWNER)
    assert toast(post(client, server, export)) == "⬇️ Sending the file…"
    post(client, server, export).raise_for_status()
    post(client, server, press(f"m:t:{secret_quiz}", OWNER, chat_id=OWNER)).raise_for_status()
    files = [m["file"] for m in said(db, OWNER) if m["method"] == "sendDocument"]
    assert [name for name, _ in files] == ["secret.yaml", "secret.txt"]
    with db.connect() as conn:
        stored = load_quiz(conn, secret_quiz)
    for (name, content), fmt in zip(files, ("yaml", "txt"), strict=True):
        assert bytes(content).decode() == export_quiz(stored, fmt)
        again = parse_quiz(bytes(content).decode(), fmt, source=name)
        assert again.content_hash() == stored.content_hash()

    # Delete asks first; then the quiz and its share link are gone.
    post(client, server, press(f"m:d:{secret_quiz}", OWNER, chat_id=OWNER)).raise_for_status()
    question = said(db, OWNER)[-1]
    assert [b["callback_data"] for b in buttons(question)] == [f"m:D:{secret_quiz}"]
    assert sessions(db, OWNER) == []  # asking deleted nothing
    done = toast(post(client, server, press(f"m:D:{secret_quiz}", OWNER, chat_id=OWNER)))
    assert done == "🗑 Secret is deleted."
    post(client, server, command("/play secret", OWNER)).raise_for_status()
    post(client, server, command(f"/start {payload}", STRANGER + 1)).raise_for_status()
    assert "There is no quiz called" in said(db, OWNER)[-1]["text"]
    assert "no longer works" in said(db, STRANGER + 1)[-1]["text"]
    post(client, server, command("/myquizzes", OWNER)).raise_for_status()
    assert "no quizzes yet" in said(db, OWNER)[-1]["text"]


def test_slugs_are_per_owner_and_a_slug_finds_ones_own_quiz_then_a_public_one(
    db: Engine, server: WebServer, client: httpx.Client, pg_server: PgServer, web_db: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    public_id = seed_quiz(db, slug="capitals")
    with db.begin() as conn:
        base = load_quiz(conn, public_id)
        mine = save_owned_quiz(conn, dataclasses.replace(base, title="Mine"), OWNER)
        theirs = save_owned_quiz(conn, dataclasses.replace(base, title="Theirs"), STRANGER)
        # An operator's import of the same slug meets neither user's quiz.
        assert import_quiz(conn, base).outcome == "unchanged"
    assert (mine.slug, theirs.slug) == ("capitals", "capitals")
    nobody = STRANGER + 1  # has no quiz of that slug

    post(client, server, command("/quizzes", OWNER)).raise_for_status()
    post(client, server, command("/quizzes", nobody)).raise_for_status()
    # Listed as /play finds them: one's own "capitals" stands for the slug.
    assert "<b>Mine</b>" in said(db, OWNER)[-1]["text"]
    assert "<b>Capitals</b>" not in said(db, OWNER)[-1]["text"]
    assert "<b>Capitals</b>" in said(db, nobody)[-1]["text"]
    assert "Theirs" not in said(db, nobody)[-1]["text"]
    for user in (OWNER, STRANGER, nobody):
        post(client, server, command("/play capitals", user)).raise_for_status()
        post(client, server, command("/stats capitals", user)).raise_for_status()
    assert sessions(db, OWNER) == [mine.quiz_id]
    assert sessions(db, STRANGER) == [theirs.quiz_id]
    assert sessions(db, nobody) == [public_id]
    assert "<b>Mine</b>" in said(db, OWNER)[-1]["text"]
    assert "<b>Theirs</b>" in said(db, STRANGER)[-1]["text"]
    # The operator's quiz has no owner to read its statistics.
    assert "There is no quiz called <code>capitals</code>" in said(db, nobody)[-1]["text"]

    # An operator names whose quiz a slug means; without --owner, the operators' own.
    url, tmp = pg_server.url(web_db), tmp_path_factory.mktemp("cli")
    exported = {
        owner: run(url, "quiz", "export", "capitals", *owner, "--format", "json", tmp=tmp)
        for owner in [(), ("--owner", str(STRANGER)), ("--owner", str(nobody))]
    }
    titles = {k: json.loads(v.stdout)["title"] for k, v in exported.items() if not v.returncode}
    assert titles == {(): "Capitals", ("--owner", str(STRANGER)): "Theirs"}
    assert "no quiz with the slug 'capitals'" in exported[("--owner", str(nobody))].stderr

    # Deleted, the owner's quiz no longer hides the public one, and its slug is free again.
    post(client, server, press(f"m:D:{mine.quiz_id}", OWNER, chat_id=OWNER)).raise_for_status()
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE sessions SET status = 'finished' WHERE chat_id = :c"),
                     {"c": OWNER})  # fmt: skip
        again = save_owned_quiz(conn, dataclasses.replace(base, title="Again"), OWNER)
    assert again.slug == "capitals"
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE quizzes SET deleted_at = now() WHERE id = :q"),
                     {"q": again.quiz_id})  # fmt: skip
    post(client, server, command("/play capitals", OWNER)).raise_for_status()
    assert sessions(db, OWNER) == [mine.quiz_id, public_id]
