"""Chats that blocked the bot: nothing is queued or sent to them, they do not pace a
broadcast, and a player who writes or presses again is un-blocked."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from quizbot.domain.effects import Chat, Effect, Participants
from quizbot.domain.session import Mode
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.store import answers, leases, outbox, outbox_queries, updates
from quizbot.writer.clock import utcnow

from .sender_harness import InProcessSender, calls, rows, sender_settings, settled
from .writer_world import RIGHT, World

BLOCKED, OPEN = 4242, 4343
REASON = "Forbidden: bot was blocked by the user"


def block(conn: Connection, chat_id: int, reason: str = REASON) -> None:
    """What the sender records on a 403."""
    outbox_queries.block_chat(conn, chat_id, reason)


def blocked_at(engine: Engine, chat_id: int) -> object:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT blocked_at FROM chats WHERE id = :c"), {"c": chat_id})


def test_nothing_is_enqueued_for_a_blocked_chat_and_order_is_kept(engine: Engine) -> None:
    with engine.begin() as conn:
        block(conn, BLOCKED)
        messages = [
            outbox.Message(chat, "sendMessage", {"text": f"{chat}:{n}"})
            for n in range(3)
            for chat in (OPEN, BLOCKED)
        ]
        assert outbox.enqueue(conn, messages) == 3
    assert [(r.chat_id, r.params["text"]) for r in rows(engine)] == [
        (OPEN, f"{OPEN}:0"),
        (OPEN, f"{OPEN}:1"),
        (OPEN, f"{OPEN}:2"),
    ]


def test_a_broadcast_to_participants_skips_the_blocked_ones(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    for player in (21, 22, 23):
        world.join(sid, player)
    effects = [
        Effect("sendMessage", {"text": "to all"}, Participants()),
        Effect("sendMessage", {"text": "to 22"}, Chat(22)),
    ]
    with engine.begin() as conn:
        block(conn, 22)
        assert outbox.reachable_participants(conn, sid) == 2
        assert outbox.enqueue_effects(conn, sid, effects) == 2
    assert [m.chat_id for m in world.messages(sid)] == [21, 23]


def test_rows_queued_before_the_block_are_dropped_at_the_claim_with_the_reason(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        outbox.enqueue(
            conn,
            [outbox.Message(chat, "sendMessage", {"text": "hi"}) for chat in (BLOCKED, OPEN)] * 2,
        )
        block(conn, BLOCKED, "my_chat_member: kicked")  # drops the pending rows itself
        # Rows a transaction queued while the block was being written (it could
        # not see the mark yet): still pending, for a blocked chat.
        conn.execute(
            sa.text(
                "INSERT INTO outbox (chat_id, method, params)"
                " VALUES (:c, 'sendMessage', '{\"text\": \"late\"}'), "
                " (:c, 'sendMessage', '{\"text\": \"later\"}')"
            ),
            {"c": BLOCKED},
        )
    with engine.begin() as conn:
        # The claim is fenced: it takes rows only under the sender lock's generation.
        key = outbox_queries.sender_lock_key("token")
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        term = leases.Term("me", leases.take_generation(cursor, key, "me"), key)
    with engine.begin() as conn:
        first = outbox_queries.claim(conn, term, 10, 30.0)
        second = outbox_queries.claim(conn, term, 10, 30.0)
    # One row per chat and claim: the blocked chat's head is dropped, then the next.
    assert [r.chat_id for r in first.rows] == [r.chat_id for r in second.rows] == [OPEN]
    assert [m for _, m in first.dropped_blocked + second.dropped_blocked] == ["sendMessage"] * 2
    late = rows(engine, f"chat_id = {BLOCKED} AND params->>'text' LIKE 'late%'")
    assert [(r.status, r.error, r.attempts, r.leased_by) for r in late] == [
        ("dropped", "my_chat_member: kicked", 0, None)
    ] * 2


async def test_the_sender_never_calls_telegram_for_a_chat_marked_blocked(
    settings: Settings, engine: Engine, sim: RunningSim
) -> None:
    with engine.begin() as conn:
        outbox.enqueue(
            conn, [outbox.Message(c, "sendMessage", {"text": f"{c}:0"}) for c in (BLOCKED, OPEN)]
        )
        # Marked blocked after its row was queued, without dropping it (as a racing
        # transaction would leave it): the claim must catch it.
        conn.execute(
            sa.text(
                "INSERT INTO chats (id, type, blocked_at, blocked_reason)"
                " VALUES (:c, 'private', now(), :r)"
            ),
            {"c": BLOCKED, "r": REASON},
        )
    async with InProcessSender(sender_settings(settings, sim)) as sender:
        counts = await settled(engine)
        sender.meters.flush()
        assert sender.meters.totals["send.sendMessage.blocked"] == 1
    assert counts == {"sent": 1, "dropped": 1}
    assert [c["chat_id"] for c in calls(sim, "sendMessage")] == [OPEN]
    assert [(r.status, r.error, r.attempts) for r in rows(engine, f"chat_id = {BLOCKED}")] == [
        ("dropped", REASON, 0)
    ]


def test_private_pacing_counts_only_the_players_the_broadcast_reaches(engine: Engine) -> None:
    world = World(engine, rules=replace(World(engine).rules, broadcast_rate_per_s=2.0))
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    for player in (21, 22, 23, 24):
        world.join(sid, player)
    world.request(sid, "start", 7)
    t0 = utcnow()
    world.tick(t0)
    limit_s = world.quiz.questions[0].time_limit_s
    assert world.session(sid).deadline == t0 + timedelta(seconds=limit_s + 4 / 2.0)

    with engine.begin() as conn:
        block(conn, 23)
        block(conn, 24)
    for player in (21, 22):
        assert world.press(sid, 0, player, RIGHT[0])
    t1 = t0 + timedelta(seconds=limit_s + 2)
    world.tick(t1)  # closes the question: the reveal pause is the 2 reachable players' time
    session = world.session(sid)
    assert session.status == "reveal"
    assert session.deadline == t1 + timedelta(seconds=max(world.rules.reveal_pause_s, 2 / 2.0))
    t2 = session.deadline
    world.tick(t2)  # the next question: stretched for 2 players, not 4
    session = world.session(sid)
    assert (session.status, session.position) == ("question", 1)
    limit_1 = world.quiz.questions[1].time_limit_s
    assert session.deadline == t2 + timedelta(seconds=limit_1 + 2 / 2.0)
    question_1 = [m.chat_id for m in world.messages(sid) if m.ref == f"q:{sid}:1"]
    assert question_1 == [21, 22]


def test_a_command_or_a_press_in_a_private_chat_unblocks_it(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    for player in (21, 22, 23):
        world.join(sid, player)
    world.request(sid, "start", 7)
    world.tick()
    with engine.begin() as conn:
        for chat in (21, 22, 23, -100):
            block(conn, chat)

    # A press in a group proves nothing about the player's private chat.
    group_press = answers.AnswerIn(900, sid, 0, RIGHT[0], 21, 0.0, private_chat=False)
    # The private press is recorded, and its chat un-blocked, in one statement.
    private_press = answers.AnswerIn(901, sid, 0, RIGHT[0], 22, 0.0, private_chat=True)
    with engine.begin() as conn:
        recorded = answers.record_answers(conn, [group_press, private_press])
    assert recorded.accepted == {0, 1}
    assert blocked_at(engine, 21) is not None
    assert blocked_at(engine, 22) is None

    # A message (any command) from the chat un-blocks it, and so it does a group.
    with engine.begin() as conn:
        updates.upsert_chat(conn, 23, "private", None)
        updates.upsert_chat(conn, -100, "supergroup", "Quiz night")
    assert blocked_at(engine, 23) is None and blocked_at(engine, -100) is None
    with engine.begin() as conn:
        assert updates.unblock_chats(conn, [21, 22]) == 1
    assert blocked_at(engine, 21) is None
