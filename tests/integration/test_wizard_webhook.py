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


def quiz_rows(db: Engine, owner: int) -> list[tuple[str, str, list[str]]]:
    """(slug, title, question texts) of each quiz ``owner`` keeps, oldest first."""
    with db.connect() as conn:
        ids = conn.scalars(
            sa.text(
                "SELECT id FROM quizzes WHERE owner_id = :o AND deleted_at IS NULL ORDER BY id"
            ),
            {"o": owner},
        ).all()
        quizzes = [load_quiz(conn, quiz_id) for quiz_id in ids]
    return [(q.slug, q.title, [x.text for x in q.questions]) for q in quizzes]


# A question as the host writes it anew or adds it: (update maker, the reply's first words).
def write_question(text: str, user: int) -> list[dict[str, Any]]:
    return [
        text_message(text, user),
        text_message("Yes\nNo", user),
        press("w:end", user, chat_id=user),
        press("w:c:0", user, chat_id=user),
        press("w:ok", user, chat_id=user),
        press("w:skip", user, chat_id=user),
        press("w:t:20", user, chat_id=user),
    ]


def test_an_author_edits_a_quiz_in_the_chat_in_place_until_it_is_played_then_a_copy(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    keep_quizzes(db, HOST, 1)  # kept-0: one question, "2 + 2?"
    [(slug, _, _)] = quiz_rows(db, HOST)
    with db.connect() as conn:
        quiz_id = conn.scalar(sa.text("SELECT id FROM quizzes WHERE slug = :s"), {"s": slug})

    def say(*updates: dict[str, Any]) -> str:
        for update in updates:
            send(client, server, update)
            send(client, server, update)  # Telegram's retry of the same update_id: no effect
        return str(replies(db, HOST)[-1]["text"])

    # Someone else's press finds nothing to edit.
    toast = send(client, server, press(f"m:e:{quiz_id}", OTHER, chat_id=OTHER)).json()["text"]
    assert toast == "That quiz is not yours, or it was deleted."
    assert stored_draft(db, OTHER) is None

    menu = say(press(f"m:e:{quiz_id}", HOST, chat_id=HOST))
    assert menu == "✏️ <b>Kept</b>: 1 question. What do you change?"
    assert buttons(replies(db, HOST)[-1]) == ["w:e:r", "w:e:a", "w:e:c", "w:e:d", "w:e:ok"]
    assert say(press("w:e:r", HOST, chat_id=HOST)) == "Send the quiz's title."
    assert say(text_message("Sums", HOST)).startswith("✅ Renamed.")
    assert say(press("w:e:a", HOST, chat_id=HOST)).startswith("Question 2: send its text")
    assert say(*write_question("Is 7 prime?", HOST)).startswith("✅ Question 2 added.")
    pause_a_minute(db)
    assert say(press("w:e:d", HOST, chat_id=HOST)).startswith("Which question do you delete?")
    assert say(press("w:e:q:0", HOST, chat_id=HOST)).startswith("🗑 Question 1 deleted.")
    # In place: the same quiz, its slug kept.
    assert quiz_rows(db, HOST) == [(slug, "Sums", ["Is 7 prime?"])]

    # Played now: its questions are history, so the next change goes to a copy.
    send(client, server, command(f"/play {slug}", HOST))
    say(press("w:e:c", HOST, chat_id=HOST), press("w:e:q:0", HOST, chat_id=HOST))
    assert replies(db, HOST)[-1]["text"].startswith("Question 1 was: Is 7 prime?")
    pause_a_minute(db)
    copied = say(*write_question("Is 9 prime?", HOST))
    assert copied.startswith("<b>Sums</b> has been played, so its questions stay as they were.")
    assert quiz_rows(db, HOST) == [
        (slug, "Sums", ["Is 7 prime?"]),
        ("kept-0-2", "Sums", ["Is 9 prime?"]),
    ]
    draft = stored_draft(db, HOST)
    assert draft is not None and draft["editing"] != quiz_id  # the copy is edited from now on
    assert say(press("w:e:ok", HOST, chat_id=HOST)).startswith("✅ Editing is over.")
    assert stored_draft(db, HOST) is None


def test_edit_waits_for_a_new_quiz_under_way_and_a_played_quiz_is_copied_at_once(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    keep_quizzes(db, HOST, 1)
    [(slug, _, _)] = quiz_rows(db, HOST)
    with db.connect() as conn:
        quiz_id = conn.scalar(sa.text("SELECT id FROM quizzes WHERE slug = :s"), {"s": slug})
    send(client, server, command("/newquiz", HOST))
    send(client, server, press(f"m:e:{quiz_id}", HOST, chat_id=HOST))
    assert replies(db, HOST)[-1]["text"].startswith("Finish the quiz you are making")
    draft = stored_draft(db, HOST)
    assert draft is not None and draft["editing"] is None  # the new quiz's draft, untouched

    send(client, server, command("/cancel", HOST))
    send(client, server, command(f"/play {slug}", HOST))
    send(client, server, press(f"m:e:{quiz_id}", HOST, chat_id=HOST))
    said = replies(db, HOST)[-1]["text"]
    assert said.startswith("<b>Kept</b> has been played") and "<code>kept-0-2</code>" in said
    assert [row[0] for row in quiz_rows(db, HOST)] == [slug, "kept-0-2"]
