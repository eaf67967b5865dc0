"""A private live quiz in which a tenth of the players block the bot mid-game.

The whole bot runs (gunicorn, the writer and the sender as processes) against
the simulator, whose fault script answers 403 for the blocked players' chats,
like Telegram. After each blocked chat's first 403 nothing more reaches the
simulator for it, the broadcast pacing shrinks to the players still reached,
the quiz ends normally, and a player who writes to the bot again gets its
messages again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.limits import JOIN_PAYLOAD_PREFIX
from quizbot.domain.quiz import Question, Quiz
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.store.quizzes import import_quiz
from tests.integration.sender_harness import calls, sim_get, sim_post
from tests.integration.test_swarm import SECRET, bot_stack
from tests.integration.webtier import command, press

HOST = 6000
PLAYERS = list(range(6001, 6021))  # 20 players, in join order
BLOCKERS = PLAYERS[:2]  # a tenth; early in join order, so their 403 comes first
RETURNER = BLOCKERS[0]  # writes to the bot again while question 2 is open
RATE = 20.0  # SEND_RATE_PER_S: a broadcast to n players is paced at n / 20 s
LIMIT_S = 5
QUIZ = Quiz(
    slug="blockers",
    title="Blockers",
    description="",
    questions=tuple(
        Question(f"Question {p + 1}?", ("A", "B", "C"), frozenset({p % 3}), None, LIMIT_S)
        for p in range(3)
    ),
)
BLOCKED_REASON = "Forbidden: bot was blocked by the user"

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, within: float = 60.0) -> T:
    """Poll ``probe`` until it returns something truthy (bounded, for a loaded machine)."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def test_players_who_block_the_bot_stop_costing_calls_and_pacing_until_they_return(
    settings: Settings,
    engine: Engine,
    pooled_url: str,
    db_url: str,
    tmp_path: Path,
    sim: RunningSim,
) -> None:
    with engine.begin() as conn:
        import_quiz(conn, QUIZ)
    stack = bot_stack(
        # A reveal pause long enough for a loaded machine: the sender records the
        # blockers' 403s (on the first reveal) well before question 2 opens.
        settings,
        sim,
        pooled_url,
        db_url,
        tmp_path,
        send_rate_per_s=RATE,
        reveal_pause_s=4.0,
    )
    with stack as webhook, httpx.Client(timeout=30) as client:

        def post(update: dict[str, Any]) -> None:
            response = client.post(
                webhook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert response.status_code == 200, response.text

        post(command(f"/live {QUIZ.slug}", HOST))
        sid = wait_for(
            lambda: one(engine, "SELECT id FROM sessions WHERE host_id = :h", h=HOST),
            "the lobby",
        ).id
        for player in PLAYERS:
            post(command(f"/start {JOIN_PAYLOAD_PREFIX}{sid}", player))
        post(press(f"s:{sid}", HOST, chat_id=HOST))

        stretch: dict[int, timedelta] = {}

        def question_open(position: int) -> Any:
            row = one(
                engine,
                "SELECT status, position, opened_at, deadline FROM sessions WHERE id = :s",
                s=sid,
            )
            if row.status == "question" and row.position == position:
                stretch[position] = row.deadline - row.opened_at
                return row
            return None

        def delivered(position: int) -> bool:
            sent = one(
                engine,
                "SELECT count(*) AS n FROM outbox WHERE ref = :r AND status = 'sent'",
                r=f"q:{sid}:{position}",
            )
            return bool(sent.n)

        def answer(position: int, players: list[int]) -> None:
            for player in players:
                post(press(f"a:{sid}:{position}:{position % 3}", player, chat_id=player))

        # Question 1 reaches all 20; then two players block the bot.
        wait_for(lambda: question_open(0), "question 1")
        wait_for(
            lambda: (
                delivered(0)
                and one(
                    engine,
                    "SELECT count(*) = :n AS done FROM outbox WHERE ref = :r AND status = 'sent'",
                    n=len(PLAYERS),
                    r=f"q:{sid}:0",
                ).done
            ),
            "question 1 to everyone",
        )
        blocked_from = sim_get(sim, "/sim/stats")["recorded"]
        sim_post(sim, "/sim/faults", {"block": BLOCKERS})
        answer(0, [p for p in PLAYERS if p not in BLOCKERS])

        # Its reveal meets the 403s; question 2 goes to the 18 still reached.
        wait_for(lambda: question_open(1), "question 2")
        wait_for(lambda: delivered(1), "question 2 sent")
        wait_for(
            lambda: (
                one(
                    engine,
                    "SELECT count(*) = :n AS marked FROM chats"
                    " WHERE id = ANY(:ids) AND blocked_at IS NOT NULL",
                    n=len(BLOCKERS),
                    ids=BLOCKERS,
                ).marked
            ),
            "the 403s recorded",
        )
        returned_from = sim_get(sim, "/sim/stats")["recorded"]
        sim_post(sim, "/sim/faults", {"unblock": [RETURNER]})
        post(command("/start", RETURNER))  # writing again un-blocks the chat
        answer(1, [p for p in PLAYERS if p not in BLOCKERS])

        wait_for(lambda: question_open(2), "question 3")
        answer(2, [p for p in PLAYERS if p != BLOCKERS[1]])
        wait_for(
            lambda: one(
                engine,
                "SELECT 1 FROM sessions WHERE id = :s AND status = 'finished'",
                s=sid,
            ),
            "the end of the quiz",
        )
        wait_for(
            lambda: (
                not one(
                    engine, "SELECT 1 FROM outbox WHERE status IN ('pending', 'claimed') LIMIT 1"
                )
            ),
            "the outbox to drain",
        )

    # Exactly one 403 per blocked chat reached the simulator.
    assert sim_get(sim, "/sim/stats")["by_outcome"].get("403") == len(BLOCKERS)
    accepted = calls(sim)
    after_block = [c for c in accepted if c["seq"] > blocked_from]
    assert not [c for c in after_block if c["chat_id"] == BLOCKERS[1]]
    back = [c for c in after_block if c["chat_id"] == RETURNER]
    assert back and all(c["seq"] > returned_from for c in back)
    # ... and got question 3 and the results again.
    texts = [c["params"].get("text", "") for c in back]
    assert any("Question 3?" in t for t in texts), texts

    # Pacing: question 1 went to all 20 players, question 3 to the 19 reached then
    # (the returner is back, the other blocker is not). Question 2 went to 18,
    # unless the machine was so loaded that the sender recorded the 403s only
    # after question 2 had opened (test_blocked_chats checks the count exactly).
    assert stretch[0] == timedelta(seconds=LIMIT_S + 20 / RATE)
    assert stretch[2] == timedelta(seconds=LIMIT_S + 19 / RATE)
    assert stretch[1] in {timedelta(seconds=LIMIT_S + n / RATE) for n in (18, 19, 20)}

    # The quiz ended normally, with every player ranked.
    with engine.connect() as conn:
        ranked = conn.scalar(
            sa.text("SELECT count(*) FROM results WHERE session_id = :s"), {"s": sid}
        )
        gone = conn.execute(
            sa.text(
                "SELECT status::text, error, attempts, ref FROM outbox"
                " WHERE chat_id = :c AND session_id = :s ORDER BY id"
            ),
            {"c": BLOCKERS[1], "s": sid},
        ).all()
        unsent = conn.scalar(
            sa.text(
                "SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'dropped')"
                " OR (status = 'dropped' AND error IS NULL)"
            )
        )
    assert ranked == len(PLAYERS)
    assert unsent == 0
    # The player who stayed away: one attempt (the 403), the rest never queued or
    # dropped unsent with Telegram's reason; no later question was queued at all.
    after = [g for g in gone if g.ref not in (f"q:{sid}:0",) and g.status != "sent"]
    assert [g.attempts for g in after].count(1) == 1
    assert all(g.status == "dropped" and g.error == BLOCKED_REASON for g in after)
    assert not [g for g in gone if g.ref in (f"q:{sid}:1", f"q:{sid}:2")]
