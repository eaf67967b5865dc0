"""The sender writes back the id of every quiz poll it sends, mapped to its question.

A ``poll_answer`` carries only the poll id, so the web tier needs this map to
count a vote; it is written in the sender's batched result commit, with no
Bot API call on the web tier's path. The clock's stopPoll finds the poll's
message like any edit does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain import polls
from quizbot.domain.effects import question_ref
from quizbot.domain.quiz import Question
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.store.outbox import Message, enqueue, notify
from quizbot.store.polls import PollMap, SentPoll, poll_questions, record_polls

from .sender_harness import InProcessSender, sender_settings, settled, sim_get, sim_post
from .webtier import GROUP_CHAT, open_question, seed_quiz

QUESTION = Question("Question 2?", ("Paris", "Rome", "Oslo", "Bern"), frozenset({1}), "Rome.", 20)


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    running = start_in_thread(SimConfig(limits=False))
    sim_post(running, "/sim/users", {"id": 5000, "first_name": "Ann"})
    sim_post(running, "/sim/chats", {"id": GROUP_CHAT, "type": "group", "admins": [5000]})
    yield running
    running.stop()


def poll_messages(sim: RunningSim) -> list[dict[str, object]]:
    messages = sim_get(sim, f"/sim/chats/{GROUP_CHAT}/messages")["messages"]
    return [m["poll"] for m in messages if "poll" in m]


async def test_a_sent_poll_is_mapped_to_its_question_and_stopped_at_the_deadline(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    session_id = open_question(engine, seed_quiz(engine), position=1)
    ref = question_ref(session_id, 1)
    with engine.begin() as conn:
        enqueue(
            conn,
            [
                Message(
                    GROUP_CHAT, "sendPoll", polls.quiz_poll(session_id, 1, QUESTION, 3), ref=ref
                ),
                Message(GROUP_CHAT, "stopPoll", polls.poll_stop(session_id, 1), edit_ref=ref),
                # Not a question's poll (no question ref): sent, but maps to nothing.
                Message(
                    GROUP_CHAT, "sendPoll", polls.quiz_poll(session_id, 0, QUESTION, 3), ref="other"
                ),
            ],
        )
        notify(conn)
    async with InProcessSender(sender_settings(settings, sim)):
        counts = await settled(engine)
    assert counts == {"sent": 3}

    asked, other = poll_messages(sim)
    assert asked["question"] == "2/3. Question 2?" and asked["is_closed"] is True
    assert asked["correct_option_ids"] == [1] and asked["type"] == "quiz"
    with engine.connect() as conn:
        mapped = poll_questions(conn, [str(asked["id"]), str(other["id"])])
        stored = conn.execute(sa.text("SELECT poll_id, chat_id FROM polls")).all()
    assert mapped == {str(asked["id"]): (session_id, 1)}
    assert [tuple(r) for r in stored] == [(asked["id"], GROUP_CHAT)]


def test_the_web_tiers_poll_map_remembers_found_polls_and_asks_again_for_unknown_ones(
    engine: Engine,
) -> None:
    session_id = open_question(engine, seed_quiz(engine))
    polls_seen = PollMap(size=1)
    with engine.begin() as conn:
        record_polls(conn, [SentPoll("p-1", GROUP_CHAT, question_ref(session_id, 0))])
    with engine.connect() as conn:
        assert polls_seen.find(conn, ["p-1", "p-2"]) == {"p-1": (session_id, 0)}
        # Found once, known for good: the row is not read again.
        conn.execute(sa.text("DELETE FROM polls WHERE poll_id = 'p-1'"))
        assert polls_seen.find(conn, ["p-1"]) == {"p-1": (session_id, 0)}
        # Not found then, recorded since (the sender's result came later): asked again.
        record_polls(conn, [SentPoll("p-2", GROUP_CHAT, question_ref(session_id, 2))])
        assert polls_seen.find(conn, ["p-2"]) == {"p-2": (session_id, 2)}
        # Bounded: p-2 pushed p-1 out, so p-1 is asked for and is gone.
        assert polls_seen.find(conn, ["p-1"]) == {}
