"""Commands and lobby buttons through the real webhook: what players and hosts get.

Replies are outbox rows (the sender delivers them); sessions and requests are
rows the writer acts on. A retried update never has a second effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain.quizfile import validate_quiz
from quizbot.domain.session import Style
from quizbot.store import admins
from quizbot.store.quizzes import import_quiz
from tests.integration.webtier import (
    BOT_USERNAME,
    GROUP_CHAT,
    checked,
    command,
    next_update_id,
    press,
    replies,
    seed_quiz,
    send,
)

HOST = 7001
PLAYER = 7002


@pytest.fixture(autouse=True)
def capitals(fresh_database: None, db: Engine) -> None:
    """The module's tests share one web server, and nothing else: each starts
    from an empty database with the one quiz they play."""
    seed_quiz(db, slug="capitals")


@pytest.fixture
def chat(db: Engine) -> Iterator[int]:
    """A fresh group chat id per test; its sessions are stopped afterwards."""
    chat_id = GROUP_CHAT - next_update_id()
    yield chat_id
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET status = 'stopped' WHERE chat_id IN (:c, :h, :p)"),
            {"c": chat_id, "h": HOST, "p": PLAYER},
        )


def clear_outbox(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(sa.text("DELETE FROM outbox"))


def live_session(db: Engine, chat_id: int) -> sa.Row[Any]:
    with db.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT id, mode, status, host_id, participant_count, pending_command, pending_by, "
                "deadline <= now() AS due FROM sessions "
                "WHERE chat_id = :c AND status = 'lobby' ORDER BY id DESC LIMIT 1"
            ),
            {"c": chat_id},
        ).one()


def participants(db: Engine, session_id: int) -> list[tuple[int, int]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT player_id, chat_id FROM participants WHERE session_id = :s ORDER BY 1"),
            {"s": session_id},
        )
        return [(int(p), int(c)) for p, c in rows]


def test_help_is_queued_for_the_chat_once_even_when_telegram_retries(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    update = command("/help", PLAYER)
    clear_outbox(db)
    send(client, server, update)
    send(client, server, update)
    sent = replies(db, PLAYER)
    assert len(sent) == 1
    assert sent[0]["method"] == "sendMessage" and sent[0]["parse_mode"] == "HTML"
    assert "/play" in sent[0]["text"] and f"@{BOT_USERNAME}" in sent[0]["text"]


def test_quizzes_lists_each_quiz_with_a_play_link(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    clear_outbox(db)
    send(client, server, command("/quizzes", PLAYER))
    (reply,) = replies(db, PLAYER)
    assert "Capitals" in reply["text"]
    assert f"https://t.me/{BOT_USERNAME}?start=play-capitals" in reply["text"]


@pytest.mark.parametrize("text", ["/play capitals", "/start play-capitals"])
def test_play_starts_a_solo_game_the_writer_opens_at_once(
    server: WebServer, client: httpx.Client, db: Engine, chat: int, text: str
) -> None:
    send(client, server, command(text, PLAYER))
    session = live_session(db, PLAYER)
    assert (session.mode, session.host_id, session.participant_count) == ("solo", PLAYER, 1)
    assert (session.pending_command, session.pending_by, session.due) == ("start", PLAYER, True)
    assert participants(db, session.id) == [(PLAYER, PLAYER)]


def test_a_second_game_in_the_same_chat_is_refused(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/play capitals", PLAYER))
    clear_outbox(db)
    send(client, server, command("/play capitals", PLAYER))
    (reply,) = replies(db, PLAYER)
    assert "already running" in reply["text"]
    with db.connect() as conn:
        live = conn.scalar(
            sa.text("SELECT count(*) FROM sessions WHERE chat_id = :c AND status = 'lobby'"),
            {"c": PLAYER},
        )
    assert live == 1


@pytest.mark.parametrize("text", ["/play nope", "/live nope", "/top nope"])
def test_an_unknown_quiz_is_named_in_the_reply(
    server: WebServer, client: httpx.Client, db: Engine, text: str
) -> None:
    clear_outbox(db)
    send(client, server, command(text, PLAYER))
    (reply,) = replies(db, PLAYER)
    assert "no quiz called <code>nope</code>" in reply["text"]


def test_play_in_a_group_points_to_the_private_chat(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/play capitals", PLAYER, chat_id=chat))
    (reply,) = replies(db, chat)
    assert f"https://t.me/{BOT_USERNAME}?start=play-capitals" in reply["text"]


def test_live_in_a_group_posts_a_lobby_with_join_and_start(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    session = live_session(db, chat)
    assert (session.mode, session.host_id, session.participant_count) == ("group", HOST, 0)
    assert session.pending_command is None and session.due is False
    (lobby,) = replies(db, chat)
    assert lobby["method"] == "sendMessage" and lobby["ref"] == f"lobby:{session.id}"
    buttons = [b for row in lobby["reply_markup"]["inline_keyboard"] for b in row]
    assert {b.get("callback_data") for b in buttons} >= {f"j:{session.id}", f"s:{session.id}"}


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("/live capitals polls", "polls"),
        ("/live capitals POLLS", "polls"),
        ("/live capitals", "buttons"),
        ("/live capitals whatever", "buttons"),
    ],
)
def test_live_takes_the_question_style_as_its_second_word(
    server: WebServer, client: httpx.Client, db: Engine, chat: int, text: str, style: str
) -> None:
    send(client, server, command(text, HOST, chat_id=chat))
    session = live_session(db, chat)
    with db.connect() as conn:
        stored = conn.scalar(sa.text("SELECT style FROM sessions WHERE id = :s"), {"s": session.id})
    assert stored == style
    (lobby,) = replies(db, chat)
    assert lobby["ref"] == f"lobby:{session.id}"


PLANETS_POLLS = {
    "title": "Planets",
    "style": "polls",
    "questions": [
        {"question": "Closest to the Sun?", "options": ["Venus", "Mercury"], "correct": 2}
    ],
}


@pytest.mark.parametrize(
    ("text", "style"), [("/live planets", "polls"), ("/live planets buttons", "buttons")]
)
def test_live_without_a_style_plays_the_quiz_files_style(
    server: WebServer, client: httpx.Client, db: Engine, chat: int, text: str, style: str
) -> None:
    quiz = validate_quiz(PLANETS_POLLS, source="planets.yaml")
    assert quiz.style is Style.POLLS
    with db.begin() as conn:
        import_quiz(conn, quiz)  # "unchanged" from the second case on
    send(client, server, command(text, HOST, chat_id=chat))
    session = live_session(db, chat)
    with db.connect() as conn:
        stored = conn.scalar(sa.text("SELECT style FROM sessions WHERE id = :s"), {"s": session.id})
    assert stored == style


def test_join_adds_the_player_once_and_answers_with_a_toast(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    session = live_session(db, chat)
    first = send(client, server, press(f"j:{session.id}", PLAYER, chat_id=chat)).json()
    again = send(client, server, press(f"j:{session.id}", PLAYER, chat_id=chat)).json()
    assert first["method"] == "answerCallbackQuery"
    assert first["text"] == again["text"] == "🙌 You're in: Capitals"
    assert participants(db, session.id) == [(PLAYER, chat)]
    assert live_session(db, chat).participant_count == 1


def test_only_the_host_can_start_and_the_start_is_a_request_to_the_writer(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    session = live_session(db, chat)
    send(client, server, press(f"j:{session.id}", PLAYER, chat_id=chat))
    refused = send(client, server, press(f"s:{session.id}", PLAYER, chat_id=chat)).json()
    assert refused["text"] == "Only the host can start this quiz"
    assert live_session(db, chat).pending_command is None
    started = send(client, server, press(f"s:{session.id}", HOST, chat_id=chat)).json()
    assert started["text"] == "▶️ Starting…"
    after = live_session(db, chat)
    assert (after.pending_command, after.pending_by, after.due) == ("start", HOST, True)


def test_the_host_chooses_close_early_in_a_group_lobby_and_the_lobby_shows_it(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    session = live_session(db, chat)

    def chosen() -> bool:
        with db.connect() as conn:
            query = "SELECT close_when_all_answered FROM sessions WHERE id = :s"
            return bool(conn.scalar(sa.text(query), {"s": session.id}))

    refused = send(client, server, press(f"o:{session.id}:1", PLAYER, chat_id=chat)).json()
    assert refused["text"] == "Only the host can change this"
    assert not chosen()
    update = press(f"o:{session.id}:1", HOST, chat_id=chat)
    first = send(client, server, update).json()
    retry = send(client, server, update).json()
    assert first["text"] == retry["text"]
    assert first["text"] == "⚡ A question closes as soon as every joined player has answered."
    assert chosen()
    _lobby, edit = replies(db, chat)  # one edit, though Telegram delivered the press twice
    assert edit["method"] == "editMessageText"
    assert "closes as soon as every joined player" in edit["text"]
    buttons = [
        b.get("callback_data") for row in edit["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert f"o:{session.id}:0" in buttons


def test_the_add_to_group_link_opens_a_lobby_for_its_quiz_in_the_group(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    # https://t.me/<bot>?startgroup=play-capitals makes Telegram send this in the group
    send(client, server, command(f"/start@{BOT_USERNAME} play-capitals", HOST, chat_id=chat))
    session = live_session(db, chat)
    assert (session.mode, session.host_id) == ("group", HOST)
    (lobby,) = replies(db, chat)
    assert lobby["ref"] == f"lobby:{session.id}"


def test_inline_mode_answers_in_the_reply_with_quiz_cards(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    clear_outbox(db)
    query = {
        "id": "9001",
        "from": {"id": PLAYER, "is_bot": False, "first_name": "Ada"},
        "query": "capit",
        "offset": "",
    }
    response = send(client, server, checked({"update_id": next_update_id(), "inline_query": query}))

    body = response.json()
    assert body["method"] == "answerInlineQuery" and body["inline_query_id"] == "9001"
    [card] = body["results"]
    assert card["id"] == "capitals" and card["title"] == "Capitals"
    urls = [b["url"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert urls == [
        f"https://t.me/{BOT_USERNAME}?start=play-capitals",
        f"https://t.me/{BOT_USERNAME}?startgroup=play-capitals",
    ]
    nothing = dict(query, id="9002", query="no such quiz")
    response = send(
        client, server, checked({"update_id": next_update_id(), "inline_query": nothing})
    )
    assert response.json()["results"] == []
    assert replies(db, PLAYER) == []  # no outbox row: the answer is the reply


def finish(db: Engine, session_id: int) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET status = 'finished' WHERE id = :s"), {"s": session_id}
        )


def test_play_again_under_a_groups_results_opens_a_new_lobby_hosted_by_the_presser(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    first = live_session(db, chat)
    finish(db, first.id)
    clear_outbox(db)

    update = press(f"p:{first.id}", PLAYER, chat_id=chat)
    reply = send(client, server, update).json()
    send(client, server, update)  # Telegram's retry opens nothing more

    assert reply["text"] == "🔁 Here we go again!"
    again = live_session(db, chat)
    assert again.id != first.id
    assert (again.mode, again.host_id) == ("group", PLAYER)
    (lobby,) = replies(db, chat)
    assert lobby["ref"] == f"lobby:{again.id}"


def test_play_again_after_a_solo_game_starts_the_same_quiz_alone(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/play capitals", PLAYER))
    first = live_session(db, PLAYER)
    finish(db, first.id)

    send(client, server, press(f"p:{first.id}", PLAYER, chat_id=PLAYER))

    again = live_session(db, PLAYER)
    assert again.id != first.id
    assert (again.mode, again.pending_command) == ("solo", "start")


def test_another_quiz_sends_the_quiz_list_to_the_chat(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    clear_outbox(db)
    reply = send(client, server, press("n", PLAYER, chat_id=chat)).json()
    assert reply["text"] == "📚 Pick one from the list"
    (quizzes,) = replies(db, chat)
    assert "Quizzes" in quizzes["text"] and "play-capitals" in quizzes["text"]


def test_live_in_a_private_chat_gives_a_join_link_that_brings_players_in(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST))
    session = live_session(db, HOST)
    assert session.mode == "private"
    link = f"https://t.me/{BOT_USERNAME}?start=join-{session.id}"
    assert link in replies(db, HOST)[-1]["text"]
    clear_outbox(db)
    send(client, server, command(f"/start join-{session.id}", PLAYER))
    assert participants(db, session.id) == [(PLAYER, PLAYER)]
    (welcome,) = replies(db, PLAYER)
    assert "You're in" in welcome["text"] and "Capitals" in welcome["text"]


def cache_admins(db: Engine, chat_id: int, ids: list[int]) -> None:
    """What the sender writes when getChatAdministrators answers."""
    with db.begin() as conn:
        admins.store_admins(conn, chat_id, ids)


def test_a_group_admins_first_stop_is_checked_off_the_hot_path_then_followed_up(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    clear_outbox(db)

    send(client, server, command("/stop", PLAYER, chat_id=chat))
    send(client, server, command("/stop", PLAYER, chat_id=chat))  # impatient: still one fetch

    sent = replies(db, chat)
    assert [r["method"] for r in sent] == ["getChatAdministrators", "sendMessage", "sendMessage"]
    assert sent[1]["text"] == sent[2]["text"] == "⏳ Checking that you are an admin of this group…"
    assert live_session(db, chat).pending_command is None
    clear_outbox(db)
    cache_admins(db, chat, [HOST, PLAYER])  # the sender got the list

    (follow_up,) = replies(db, chat)
    assert follow_up["text"] == "🛑 Stopping the quiz…"
    after = live_session(db, chat)
    assert (after.pending_command, after.pending_by, after.due) == ("stop", PLAYER, True)


def test_a_member_who_is_not_an_admin_is_told_so_when_the_list_arrives(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    send(client, server, command("/stop", PLAYER, chat_id=chat))
    clear_outbox(db)
    cache_admins(db, chat, [HOST])

    (follow_up,) = replies(db, chat)
    assert follow_up["text"] == "Only the host or a group admin can stop this quiz."
    assert live_session(db, chat).pending_command is None


def test_a_cached_admin_stops_at_once(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    cache_admins(db, chat, [PLAYER])
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    clear_outbox(db)
    send(client, server, command("/stop", PLAYER, chat_id=chat))
    assert [r["text"] for r in replies(db, chat)] == ["🛑 Stopping the quiz…"]
    assert live_session(db, chat).pending_by == PLAYER


def test_the_admin_list_is_fetched_when_the_bot_joins_a_group_and_when_admins_change(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    clear_outbox(db)
    group = {"id": chat, "type": "supergroup", "title": "Quiz night"}
    bot = {"id": 1, "is_bot": True, "first_name": "Quiz"}

    admin_rights = dict.fromkeys(
        ("can_be_edited", "is_anonymous", "can_delete_messages", "can_manage_video_chats",
         "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
         "can_post_stories", "can_edit_stories", "can_delete_stories"),
        False,
    ) | {"can_manage_chat": True}  # fmt: skip

    def member_update(kind: str, member: dict[str, Any], old: str, new: str) -> dict[str, Any]:
        rights = admin_rights if new == "administrator" else {}
        change = {
            "chat": group,
            "from": {"id": HOST, "is_bot": False, "first_name": "Host"},
            "date": 1_700_000_000,
            "old_chat_member": {"status": old, "user": member},
            "new_chat_member": {"status": new, "user": member, **rights},
        }
        return checked({"update_id": next_update_id(), kind: change})

    send(client, server, member_update("my_chat_member", bot, "left", "member"))
    assert [r["method"] for r in replies(db, chat)] == ["getChatAdministrators"]
    clear_outbox(db)
    player = {"id": PLAYER, "is_bot": False, "first_name": "Ada"}
    send(client, server, member_update("chat_member", player, "left", "member"))
    assert replies(db, chat) == []  # an ordinary member joining changes no admin
    send(client, server, member_update("chat_member", player, "member", "administrator"))
    assert [r["method"] for r in replies(db, chat)] == ["getChatAdministrators"]


def test_stop_is_for_the_host_and_becomes_a_request_to_the_writer(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    clear_outbox(db)
    cache_admins(db, chat, [HOST])  # the group's list is known and PLAYER is not on it
    send(client, server, command("/stop", PLAYER, chat_id=chat))
    assert replies(db, chat)[-1]["text"] == "Only the host or a group admin can stop this quiz"
    assert live_session(db, chat).pending_command is None
    send(client, server, command("/stop", HOST, chat_id=chat))
    after = live_session(db, chat)
    assert (after.pending_command, after.pending_by, after.due) == ("stop", HOST, True)


def test_stop_with_nothing_running_says_so(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/stop", PLAYER, chat_id=chat))
    assert replies(db, chat)[-1]["text"] == "No quiz is running here."


def _score(db: Engine, chat: int) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO players (id, first_name, score_total, games_played, wins, "
                "answers_total, answers_correct) VALUES (:p, 'Grace', 420, 3, 1, 30, 21) "
                "ON CONFLICT (id) DO UPDATE SET score_total = 420, games_played = 3, wins = 1, "
                "answers_total = 30, answers_correct = 21"
            ),
            {"p": PLAYER},
        )
        conn.execute(
            sa.text(
                "INSERT INTO leaderboard_chat (chat_id, player_id, score_total, games) "
                "VALUES (:c, :p, 300, 2)"
            ),
            {"c": chat, "p": PLAYER},
        )


def test_top_shows_the_group_board_in_a_group_and_the_global_one_elsewhere(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    _score(db, chat)
    send(client, server, command("/top", PLAYER, chat_id=chat))
    assert "300 pts" in replies(db, chat)[-1]["text"]
    clear_outbox(db)
    send(client, server, command("/top", PLAYER))
    (reply,) = replies(db, PLAYER)
    assert "Top players" in reply["text"] and "420 pts" in reply["text"]


def test_me_shows_lifetime_stats(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    _score(db, chat)
    clear_outbox(db)
    send(client, server, command("/me", PLAYER))
    (reply,) = replies(db, PLAYER)
    assert "Games: 3" in reply["text"] and "Correct: 21 of 30 (70%)" in reply["text"]


def test_unknown_commands_get_help_in_private_and_silence_in_groups(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    clear_outbox(db)
    send(client, server, command("/frobnicate", PLAYER))
    send(client, server, command("/frobnicate", PLAYER, chat_id=chat))
    assert "/play" in replies(db, PLAYER)[-1]["text"]
    assert replies(db, chat) == []


def test_a_command_for_another_bot_is_ignored(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/help@some_other_bot", PLAYER, chat_id=chat))
    assert replies(db, chat) == []
    send(client, server, command(f"/help@{BOT_USERNAME}", PLAYER, chat_id=chat))
    assert len(replies(db, chat)) == 1


def member_update(chat: dict[str, Any], status: str) -> dict[str, Any]:
    bot = {"id": 1, "is_bot": True, "first_name": "Quiz"}
    return checked(
        {
            "update_id": next_update_id(),
            "my_chat_member": {
                "chat": chat,
                "from": {"id": PLAYER, "is_bot": False, "first_name": "Ada"},
                "date": 1_700_000_000,
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": status, "user": bot, "until_date": 0}
                if status == "kicked"
                else {"status": status, "user": bot},
            },
        }
    )


def test_a_user_blocking_the_bot_marks_the_chat_blocked_until_unblocked(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    private = {"id": PLAYER, "type": "private", "first_name": "Ada"}

    def blocked() -> bool:
        with db.connect() as conn:
            return bool(
                conn.scalar(
                    sa.text("SELECT blocked_at IS NOT NULL FROM chats WHERE id = :c"), {"c": PLAYER}
                )
            )

    send(client, server, member_update(private, "kicked"))
    assert blocked()
    send(client, server, member_update(private, "member"))
    assert not blocked()


def test_a_group_upgraded_to_a_supergroup_keeps_its_live_quiz(
    server: WebServer, client: httpx.Client, db: Engine, chat: int
) -> None:
    send(client, server, command("/live capitals", HOST, chat_id=chat))
    session = live_session(db, chat)
    send(client, server, press(f"j:{session.id}", PLAYER, chat_id=chat))
    new_chat = chat - 1_000_000_000
    migration = checked(
        {
            "update_id": next_update_id(),
            "message": {
                "message_id": 5,
                "date": 1_700_000_000,
                "chat": {"id": chat, "type": "group", "title": "Quiz night"},
                "from": {"id": HOST, "is_bot": False, "first_name": "Host"},
                "migrate_to_chat_id": new_chat,
            },
        }
    )
    send(client, server, migration)
    moved = live_session(db, new_chat)
    assert moved.id == session.id
    assert participants(db, session.id) == [(PLAYER, new_chat)]
    assert {r["chat_id"] for r in replies(db, new_chat)} == {new_chat}
    with db.connect() as conn:
        assert (
            conn.scalar(sa.text("SELECT migrated_to FROM chats WHERE id = :c"), {"c": chat})
            == new_chat
        )
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET status = 'stopped' WHERE id = :s"), {"s": session.id}
        )
