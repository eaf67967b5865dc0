"""/newquiz through the real webhook: what a host gets, and what is stored.

Each wizard message or press is recorded before its 200, with the draft and the
reply, so a Telegram retry changes nothing and a restart resumes the draft.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain.quiz import Question, Quiz
from quizbot.store.pgbouncer import PgBouncer
from quizbot.store.quizzes import load_quiz, save_owned_quiz
from tests.integration.webtier import (
    GROUP_CHAT,
    command,
    press,
    replies,
    send,
    text_message,
    web_server,
)

HOST = 8101
OTHER = 8102


# The module's tests share one web server, and nothing else: each starts empty.
pytestmark = pytest.mark.usefixtures("fresh_database")


def buttons(reply: dict[str, Any]) -> list[str]:
    keyboard = reply.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in keyboard for button in row]


# A whole quiz as a host types it: (update maker, the words its reply starts with).
CONVERSATION = [
    (lambda: command("/newquiz", HOST), "📝 A new quiz"),
    (lambda: text_message("Rivers & <seas>", HOST), "Question 1: send its text."),
    (lambda: text_message("Longest river?", HOST), "Send the options"),
    (lambda: text_message("Nile\nAmazon", HOST), "Send the options"),
    (lambda: text_message("Yangtze", HOST), "Send the options"),
    (lambda: press("w:end", HOST, chat_id=HOST), "Press the right option"),
    (lambda: press("w:c:0", HOST, chat_id=HOST), "Press the right option"),
    (lambda: press("w:ok", HOST, chat_id=HOST), "Send an explanation"),
    (lambda: text_message("Some say the Amazon.", HOST), "Time to answer?"),
    (lambda: press("w:t:20", HOST, chat_id=HOST), "✅ Question 1 added."),
    (lambda: text_message("Saltiest sea?", HOST), "Send the options"),
    (lambda: text_message("Dead Sea\nBaltic", HOST), "Send the options"),
    (lambda: press("w:end", HOST, chat_id=HOST), "Press the right option"),
    (lambda: press("w:c:0", HOST, chat_id=HOST), "Press the right option"),
    (lambda: press("w:ok", HOST, chat_id=HOST), "Send an explanation"),
    (lambda: press("w:skip", HOST, chat_id=HOST), "Time to answer?"),
    (lambda: text_message("45", HOST), "✅ Question 2 added."),
    (lambda: command("/done", HOST), "Shuffle the options"),
    (lambda: press("w:sh:1", HOST, chat_id=HOST), "🎉 “Rivers &amp; &lt;seas&gt;” is ready"),
]


def owned_quizzes(db: Engine, owner: int) -> list[sa.Row[Any]]:
    with db.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT id, slug, visibility, shuffle FROM quizzes"
                    " WHERE owner_id = :o ORDER BY id"
                ),
                {"o": owner},
            )
        )


def stored_draft(db: Engine, user_id: int) -> dict[str, Any] | None:
    with db.connect() as conn:
        draft = conn.scalar(
            sa.text("SELECT draft FROM quiz_drafts WHERE user_id = :u"), {"u": user_id}
        )
    return draft  # type: ignore[no-any-return]


def pause_a_minute(db: Engine) -> None:
    """As if every wizard user had waited a minute: their message counts start again."""
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE quiz_drafts SET window_start = now() - interval '61 s'"))


def test_a_host_makes_a_quiz_step_by_step_and_every_retry_is_applied_once(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    for make, expected in CONVERSATION:
        update = make()
        send(client, server, update)
        send(client, server, update)  # Telegram's retry of the same update_id
        said = replies(db, HOST)[-1]
        assert said["text"].startswith(expected) or expected in said["text"], said["text"]

    assert len(replies(db, HOST)) == len(CONVERSATION)
    [quiz] = owned_quizzes(db, HOST)
    assert (quiz.slug, quiz.visibility, quiz.shuffle) == ("rivers-seas", "private", True)
    assert "/play rivers-seas" in replies(db, HOST)[-1]["text"]
    with db.connect() as conn:
        made = load_quiz(conn, quiz.id)
    assert made.title == "Rivers & <seas>" and made.shuffle
    first, second = made.questions
    assert (first.text, first.options, first.correct) == (
        "Longest river?",
        ("Nile", "Amazon", "Yangtze"),
        frozenset({0}),
    )
    assert (first.explanation, first.time_limit_s) == ("Some say the Amazon.", 20)
    assert (second.options, second.explanation, second.time_limit_s) == (
        ("Dead Sea", "Baltic"),
        None,
        45,
    )
    assert stored_draft(db, HOST) is None  # the conversation is over


def test_each_prompt_carries_the_buttons_of_its_step(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    for make, _ in CONVERSATION[:6]:
        send(client, server, make())

    correct = replies(db, HOST)[-1]
    assert buttons(correct) == ["w:c:0", "w:c:1", "w:c:2", "w:ok"]
    send(client, server, press("w:c:0", HOST, chat_id=HOST))
    send(client, server, press("w:ok", HOST, chat_id=HOST))
    send(client, server, press("w:skip", HOST, chat_id=HOST))
    assert buttons(replies(db, HOST)[-1]) == ["w:t:10", "w:t:20", "w:t:30", "w:t:60"]


def test_a_refused_step_says_why_with_the_importers_words(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    for make, _ in CONVERSATION[:4]:
        send(client, server, make())

    send(client, server, text_message("nile", HOST))

    refusal = replies(db, HOST)[-1]["text"]
    assert refusal.startswith('⚠️ question 1 › option 3: same as option 1 ("nile")'), refusal


def test_cancel_drops_the_draft_and_newquiz_resumes_one_under_way(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    for make, _ in CONVERSATION[:3]:
        send(client, server, make())

    send(client, server, command("/newquiz", HOST))
    assert replies(db, HOST)[-1]["text"].startswith("📝 Your draft “Rivers &amp; &lt;seas&gt;”")
    assert "Send the options" in replies(db, HOST)[-1]["text"]
    send(client, server, command("/cancel", HOST))
    assert replies(db, HOST)[-1]["text"] == "🗑 The draft is dropped."
    send(client, server, text_message("Nile", HOST))
    assert len(replies(db, HOST)) == 5  # a text outside the wizard gets no reply
    assert owned_quizzes(db, HOST) == []


def test_the_wizard_speaks_the_hosts_language(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    for update in (command("/newquiz", HOST), text_message("Ríos", HOST)):
        update["message"]["from"]["language_code"] = "es"
        send(client, server, update)

    assert [r["text"] for r in replies(db, HOST)] == [
        "📝 Un quiz nuevo. Envía su título.",
        "Pregunta 1: envía su texto.",
    ]


def test_the_twenty_first_message_in_a_minute_gets_one_slow_down_and_is_not_applied(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    send(client, server, command("/newquiz", HOST))  # 1
    send(client, server, text_message("Flood", HOST))  # 2: the title
    for n in range(18):  # 3-20: options, each applied
        send(client, server, text_message(f"o{n}", HOST))
    applied = len(replies(db, HOST))
    send(client, server, text_message("twenty-first", HOST))
    send(client, server, text_message("twenty-second", HOST))

    said = replies(db, HOST)
    assert len(said) == applied + 1
    assert said[-1]["text"].startswith("🐢 Slow down: at most 20 messages a minute.")
    draft = stored_draft(db, HOST)
    assert draft is not None
    assert "twenty-first" not in draft["options"] and "twenty-second" not in draft["options"]
    # Someone else's wizard is not slowed by this one's flood.
    send(client, server, command("/newquiz", OTHER))
    assert replies(db, OTHER)[-1]["text"].startswith("📝 A new quiz")
    pause_a_minute(db)  # a minute later the host is heard again
    send(client, server, command("/cancel", HOST))
    assert replies(db, HOST)[-1]["text"] == "🗑 The draft is dropped."


def test_a_second_quiz_of_one_owner_with_the_same_title_gets_its_own_slug(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    for author in (HOST, HOST, OTHER):
        for make, _ in CONVERSATION:
            update = make()
            if "message" in update:
                update["message"]["from"]["id"] = update["message"]["chat"]["id"] = author
            else:
                update["callback_query"]["from"]["id"] = author
                update["callback_query"]["message"]["chat"]["id"] = author
            send(client, server, update)
        pause_a_minute(db)  # a quiz is 19 messages: two in one minute are a flood

    assert [q.slug for q in owned_quizzes(db, HOST)] == ["rivers-seas", "rivers-seas-2"]
    assert [q.slug for q in owned_quizzes(db, OTHER)] == ["rivers-seas"]  # slugs are per owner


def keep_quizzes(db: Engine, owner: int, count: int) -> None:
    """As if ``owner`` had made ``count`` more quizzes."""
    question = Question("2 + 2?", ("4", "5"), frozenset({0}), None, 20)
    with db.begin() as conn:
        for n in range(count):
            save_owned_quiz(conn, Quiz(f"kept-{n}", "Kept", "", (question,)), owner)


def test_done_at_the_quota_of_quizzes_is_refused_and_the_draft_is_kept(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    keep_quizzes(db, HOST, 49)
    for make, _ in CONVERSATION[:-1]:  # up to /done: the shuffle question
        send(client, server, make())
    pause_a_minute(db)
    keep_quizzes(db, HOST, 1)  # a file imported meanwhile: 50, the default quota
    full = (
        "You have 50 quizzes, the most one person may keep. Delete one first.\n"
        "Your draft is kept: delete a quiz in /myquizzes, then send /done again."
    )
    send(client, server, press("w:sh:1", HOST, chat_id=HOST))
    assert replies(db, HOST)[-1]["text"] == full
    send(client, server, command("/done", HOST))
    assert replies(db, HOST)[-1]["text"] == full
    draft = stored_draft(db, HOST)
    assert draft is not None and (draft["step"], len(draft["questions"])) == ("shuffle", 2)
    assert len(owned_quizzes(db, HOST)) == 50

    with db.begin() as conn:  # the host deletes one in /myquizzes
        conn.execute(sa.text("UPDATE quizzes SET deleted_at = now() WHERE slug = 'kept-0'"))
    send(client, server, press("w:sh:1", HOST, chat_id=HOST))
    assert "is ready: 2 questions" in replies(db, HOST)[-1]["text"]
    assert stored_draft(db, HOST) is None
    assert owned_quizzes(db, HOST)[-1].slug == "rivers-seas"


def test_newquiz_in_a_group_points_to_the_private_chat(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    send(client, server, command("/newquiz", HOST, chat_id=GROUP_CHAT))

    [said] = replies(db, GROUP_CHAT)
    assert "private chat" in said["text"] and "https://t.me/" in said["text"]
    send(client, server, command("/done", HOST, chat_id=GROUP_CHAT))
    assert len(replies(db, GROUP_CHAT)) == 1


def test_a_draft_outlives_a_restart_of_the_web_tier(
    server: WebServer,
    client: httpx.Client,
    db: Engine,
    web_db: str,
    pgbouncer: PgBouncer,
    tmp_path: Path,
) -> None:
    half = len(CONVERSATION) // 2
    with web_server(pgbouncer.url(web_db), tmp_path / "first") as first:
        for make, _ in CONVERSATION[:half]:
            send(client, first, make())
    with web_server(pgbouncer.url(web_db), tmp_path / "second") as second:
        for make, expected in CONVERSATION[half:]:
            send(client, second, make())
            assert expected in replies(db, HOST)[-1]["text"]

    [quiz] = owned_quizzes(db, HOST)
    with db.connect() as conn:
        assert len(load_quiz(conn, quiz.id).questions) == 2
