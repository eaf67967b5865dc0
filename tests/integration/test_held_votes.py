"""A quiz-poll vote that arrives before its poll id is recorded is held, then counted once.

The sender writes a poll's id back in its result batch, a moment after
``sendPoll`` returned it; a ``poll_answer`` in between names a poll the
database does not know yet. It is held with its receive time and applied,
scored by that time, when the sender records the poll.

- through the real webhook (gunicorn, pgbouncer): held, a Telegram retry held
  once, applied when the poll is recorded, a retry afterwards not counted again;
- for real: the real sender sends the poll to the fake Telegram and is slow to
  write the poll id back; a scripted user votes as soon as the poll shows, the
  fake Telegram delivers the vote to the webhook before the write-back, and
  the vote is counted once, with its receive time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain import polls
from quizbot.domain.effects import question_ref
from quizbot.domain.quiz import Question
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.sim.users.client import SimClient, User
from quizbot.store.outbox import Message, enqueue, notify
from quizbot.store.polls import SentPoll, record_polls

from .sender_harness import InProcessSender, sender_settings
from .webtier import (
    FIRST_PLAYER,
    GROUP_CHAT,
    SECRET,
    answers,
    checked,
    next_update_id,
    open_question,
    post,
    seed_quiz,
    user,
)

# seed_quiz's first question (its answer is option 0), as the writer would send it.
FIRST = Question("Question 1?", ("Paris", "Rome", "Oslo", "Bern"), frozenset({0}), None, 20)


def poll_vote(poll_id: str, player: int, option: int) -> dict[str, Any]:
    return checked(
        {
            "update_id": next_update_id(),
            "poll_answer": {
                "poll_id": poll_id,
                "user": user(player),
                "option_ids": [option],
                "option_persistent_ids": [f"opt-{option}"],
            },
        }
    )


def held(engine: Engine) -> list[tuple[int, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT update_id, poll_id, player_id FROM held_votes"))
        return [(int(u), str(p), int(pl)) for u, p, pl in rows]


def counters(engine: Engine, session_id: int) -> tuple[int, int]:
    """(answered_count, participant_count) of the session."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT answered_count, participant_count FROM sessions WHERE id = :s"),
            {"s": session_id},
        ).one()
    return int(row[0]), int(row[1])


def elapsed_ms(engine: Engine, session_id: int, player: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text("SELECT elapsed_ms FROM answers WHERE session_id = :s AND player_id = :p"),
                {"s": session_id, "p": player},
            )
        )


def seconds_since_opened(engine: Engine, session_id: int, column: str = "now()") -> float:
    with engine.connect() as conn:
        return float(
            conn.scalar(
                sa.text(
                    f"SELECT EXTRACT(EPOCH FROM {column} - s.opened_at) FROM sessions s"  # noqa: S608
                    " LEFT JOIN polls p ON p.session_id = s.id WHERE s.id = :s"
                ),
                {"s": session_id},
            )
        )


def test_an_early_vote_is_held_then_counted_once_by_its_receive_time(
    own_server: WebServer, engine: Engine
) -> None:
    session_id = open_question(engine, seed_quiz(engine), players=3)
    vote = poll_vote("early-poll", FIRST_PLAYER + 1, 0)
    with httpx.Client(timeout=15) as client:
        assert post(client, own_server, vote).status_code == 200
        received_s = seconds_since_opened(engine, session_id)
        assert post(client, own_server, vote).status_code == 200  # Telegram's retry
        assert answers(engine, session_id) == []
        assert held(engine) == [(vote["update_id"], "early-poll", FIRST_PLAYER + 1)]

        time.sleep(1.5)  # the sender is slow to write the poll id back
        with engine.begin() as conn:
            record_polls(conn, [SentPoll("early-poll", GROUP_CHAT, question_ref(session_id, 0))])
        assert answers(engine, session_id) == [(0, FIRST_PLAYER + 1, 0, True)]
        assert held(engine) == []
        assert counters(engine, session_id) == (1, 3)
        # Scored by when it arrived, not by when the poll id came: 1.5 s earlier.
        assert elapsed_ms(engine, session_id, FIRST_PLAYER + 1) <= received_s * 1000 + 1

        # A retry after it counted: acknowledged, not counted again, not held again.
        assert post(client, own_server, vote).status_code == 200
    assert answers(engine, session_id) == [(0, FIRST_PLAYER + 1, 0, True)]
    assert held(engine) == []
    assert counters(engine, session_id) == (1, 3)


def test_a_held_vote_for_a_question_that_closed_meanwhile_is_refused_like_a_late_one(
    own_server: WebServer, engine: Engine
) -> None:
    session_id = open_question(engine, seed_quiz(engine), players=3)
    with httpx.Client(timeout=15) as client:
        assert (
            post(client, own_server, poll_vote("closed-poll", FIRST_PLAYER, 1)).status_code == 200
        )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET status = 'reveal' WHERE id = :s"), {"s": session_id}
        )
        record_polls(conn, [SentPoll("closed-poll", GROUP_CHAT, question_ref(session_id, 0))])
    assert answers(engine, session_id) == []
    assert held(engine) == []  # resolved: refused, as the group insert refuses a late answer


async def test_a_vote_the_fake_telegram_delivers_before_the_poll_id_is_written_back_counts_once(
    settings: Settings, engine: Engine, sim: RunningSim, own_server: WebServer
) -> None:
    with SimClient(sim.url) as control:
        voter = control.user("Ann", id=FIRST_PLAYER)
        control.group("Quiz night", [voter], supergroup=False, chat_id=GROUP_CHAT)
        hook = {"url": f"{own_server.url}/telegram/webhook", "secret_token": SECRET}
        control.request("POST", "/botTOKEN/setWebhook", hook)
    session_id = open_question(engine, seed_quiz(engine), players=3)
    with engine.begin() as conn:
        params = polls.quiz_poll(session_id, 0, FIRST, 3)
        enqueue(conn, [Message(GROUP_CHAT, "sendPoll", params, ref=question_ref(session_id, 0))])
        notify(conn)
    # The sender writes its results (the poll id among them) 3 s after the send.
    async with InProcessSender(sender_settings(settings, sim), flush_wait_s=3.0):
        poll = await asyncio.to_thread(vote_as_soon_as_the_poll_shows, sim)
        held_now = await wait_for(lambda: held(engine), within=10)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM polls")) == 0  # not written back yet
        assert [(poll_id, player) for _, poll_id, player in held_now] == [
            (str(poll["id"]), FIRST_PLAYER)
        ]
        counted = await wait_for(lambda: answers(engine, session_id), within=20)
    assert counted == [(0, FIRST_PLAYER, 0, True)]
    assert held(engine) == []
    assert counters(engine, session_id) == (1, 3)
    # Scored by its arrival, well before the poll id was written back.
    written_back_s = seconds_since_opened(engine, session_id, "p.sent_at")
    assert elapsed_ms(engine, session_id, FIRST_PLAYER) < written_back_s * 1000 - 1000


def vote_as_soon_as_the_poll_shows(sim: RunningSim) -> dict[str, Any]:
    """The scripted user votes for option 0 the moment the poll is in the group; the poll."""
    with SimClient(sim.url) as control:
        voter = User(control, {"id": FIRST_PLAYER})
        deadline = time.monotonic() + 15
        while True:
            shown = [m for m in voter.messages(GROUP_CHAT) if "poll" in m]
            if shown:
                return voter.vote(shown[0], [0])
            assert time.monotonic() < deadline, "the poll never showed"
            time.sleep(0.02)


async def wait_for(read: Any, within: float) -> Any:
    """The first non-empty value of ``read()``, polled until ``within`` seconds passed."""
    deadline = time.monotonic() + within
    while not (value := await asyncio.to_thread(read)):
        assert time.monotonic() < deadline, f"nothing after {within} s"
        await asyncio.sleep(0.05)
    return value
