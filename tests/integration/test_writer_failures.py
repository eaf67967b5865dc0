"""A session whose transition keeps failing is ended after a bounded number of tries."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.session import Mode
from quizbot.store import sessions_web
from quizbot.store.quizzes import import_quiz
from quizbot.writer.clock import ENDED_BY_ERROR_TEXT, Clock

from .writer_world import QUIZ, RULES, World

PLAYER, OTHER = 501, 502


def broken_solo(world: World, player: int) -> int:
    """/play of a quiz made unplayable: its questions are gone, so every transition raises."""
    with world.engine.begin() as conn:
        quiz_id = import_quiz(conn, replace(QUIZ, slug="broken")).quiz_id
        conn.execute(sa.text("DELETE FROM questions WHERE quiz_id = :q"), {"q": quiz_id})
        sid, _ = sessions_web.create_session(
            conn, quiz_id, Mode.SOLO, player, player, lobby_s=RULES.lobby_timeout_s
        )
    return sid


def test_a_session_whose_transition_keeps_failing_is_ended_and_its_chat_told(
    engine: Engine,
) -> None:
    world = World(engine)
    world.clock = Clock(engine, RULES, max_tries=3, quarantine_first_s=0.0)
    healthy = world.solo(OTHER)
    world.tick()
    assert world.session(healthy).status == "question"
    broken = broken_solo(world, PLAYER)
    # Each pass tries the broken session once; the healthy one is not held up.
    for attempt in (1, 2):
        world.tick()
        row = world.session(broken)
        assert (row.status, row.transition_failures) == ("lobby", attempt)
    world.tick()
    row = world.session(broken)
    assert row.status == "abandoned" and row.finish_reason == "error"
    assert row.deadline is None
    told = [m for m in world.messages(broken) if m.method == "sendMessage"]
    assert [(m.chat_id, m.params["text"]) for m in told] == [(PLAYER, ENDED_BY_ERROR_TEXT)]
    # Ended is ended: no further tries, and the chat can start another game.
    world.tick()
    assert world.session(broken).transition_failures == 3
    again = world.solo(PLAYER)
    world.tick()
    assert world.session(again).status == "question"
    assert world.session(healthy).status in ("question", "reveal")


def test_a_transition_that_succeeds_again_resets_the_count(engine: Engine) -> None:
    world = World(engine)
    world.clock = Clock(engine, RULES, max_tries=3, quarantine_first_s=0.0)
    sid = world.live(Mode.GROUP, host=PLAYER, chat=-700)
    world.join(sid, PLAYER, -700)
    world.execute("UPDATE sessions SET transition_failures = 2 WHERE id = :s", s=sid)
    world.request(sid, "start", PLAYER)
    world.tick()
    row = world.session(sid)
    assert (row.status, row.transition_failures) == ("question", 0)
