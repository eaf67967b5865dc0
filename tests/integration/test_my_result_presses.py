"""1,000 players press 📊 My result: right toasts, no outbox row, nothing against the flood limits.

Through the real parts: the players are users of the fake Telegram (flood
limits on), which delivers their presses to the real webhook (gunicorn,
pgbouncer, PostgreSQL) and runs the ``answerCallbackQuery`` of each webhook
reply, as Telegram does. The toasts are compared with a computation made here
from the answers this test wrote, with the domain's scoring rules.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.callbacks import ResultData
from quizbot.domain.results import my_result_toast, results_keyboard
from quizbot.domain.scoring import PlayerTotals, Ranked, ScoringRules, points, rank
from quizbot.domain.session import Status
from quizbot.sim.api import limits
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.users.async_client import AsyncSimClient, AsyncUser
from quizbot.sim.users.feed import FeedReader
from quizbot.store import results
from tests.integration.webtier import (
    FIRST_PLAYER,
    GROUP_CHAT,
    SECRET,
    open_question,
    seed_quiz,
    web_server,
)

PLAYERS = 1000
QUESTIONS = 3
TIME_LIMIT_MS = 20_000  # webtier.seed_quiz
TOKEN = "7000000001:my-result-presses"


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    """The fake Telegram with Telegram's flood limits on."""
    running = start_in_thread(SimConfig(limits=True))
    yield running
    running.stop()


def finished_game(engine: Engine) -> tuple[int, dict[int, Ranked]]:
    """A group game of PLAYERS, finished; each player's expected result.

    Answers are random (some players skip questions), written as the group
    commit writes them; the expectation is computed from them here, not read
    back from ``results``.
    """
    rng = random.Random(12)
    quiz_id = seed_quiz(engine, slug="presses", questions=QUESTIONS)
    session_id = open_question(engine, quiz_id, players=PLAYERS)
    rows: list[dict[str, Any]] = []
    totals = {FIRST_PLAYER + k: [0, 0, 0, 0] for k in range(PLAYERS)}
    for player, total in totals.items():
        for position in range(QUESTIONS):
            if rng.random() < 0.15:
                continue
            option = rng.randrange(4)
            correct = option == position % 4  # seed_quiz: question p's answer is p % 4
            elapsed = rng.randrange(300, TIME_LIMIT_MS)
            rows.append(
                {"s": session_id, "p": position, "pl": player, "o": option, "c": correct,
                 "e": elapsed}
            )  # fmt: skip
            total[0] += points(correct, elapsed, TIME_LIMIT_MS, ScoringRules())
            total[1] += int(correct)
            total[2] += 1
            total[3] += elapsed
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO answers (session_id, position, player_id, option, correct, elapsed_ms)"
                " VALUES (:s, :p, :pl, :o, :c, :e)"
            ),
            rows,
        )
        conn.execute(
            sa.text("UPDATE sessions SET position = :last, status = 'reveal' WHERE id = :s"),
            {"last": QUESTIONS - 1, "s": session_id},
        )
        finished = results.finish_session(
            conn, session_id, Status.FINISHED, datetime.now(UTC), ScoringRules()
        )
    assert finished is not None and finished.total_players == PLAYERS
    expected = rank(PlayerTotals(p, *t) for p, t in totals.items())
    return session_id, {r.player_id: r for r in expected}


def outbox_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text("SELECT count(*) FROM outbox")) or 0)


def flood_counted(sim: RunningSim) -> tuple[int, int, int]:
    """(calls that count against the flood limits, 429s, answerCallbackQuery calls)."""
    stats = httpx.get(f"{sim.url}/sim/stats", timeout=10).json()
    by_method: dict[str, dict[str, int]] = stats["by_method"]
    counted = sum(sum(n.values()) for m, n in by_method.items() if limits.counts(m))
    answered = by_method.get("answerCallbackQuery", {}).get("200", 0)
    return counted, int(stats["rate_limited"]), answered


async def press_all(sim: RunningSim, board: dict[str, Any], data: str) -> dict[int, str]:
    """Every player presses ``data`` under ``board``; the toast each one sees."""
    async with (
        FeedReader(sim.url) as feed,
        AsyncSimClient(sim.url, connections=100) as control,
    ):
        await feed.skip_to_end()
        players = [AsyncUser(control, {"id": FIRST_PLAYER + k}) for k in range(PLAYERS)]
        updates = await asyncio.gather(*(p.press(board, data=data) for p in players))
        pressed = {u["update_id"]: p.id for u, p in zip(updates, players, strict=True)}
        acked: set[int] = set()
        async with asyncio.timeout(180):
            while len(acked) < PLAYERS:
                for d in await feed.next_batch():
                    if d.webhook is not None and d.webhook["update_id"] in pressed:
                        assert d.webhook["acknowledged"], d.webhook
                        acked.add(d.webhook["update_id"])
        # What each player saw: the reply's answerCallbackQuery, run by the fake API.
        toasts: dict[int, str] = {}
        deadline = time.monotonic() + 60
        while len(toasts) < PLAYERS:
            assert time.monotonic() < deadline, f"{PLAYERS - len(toasts)} players saw no toast"
            missing = [p for p in players if p.id not in toasts]
            seen = await asyncio.gather(
                *(control.request("GET", f"/sim/users/{p.id}/seen") for p in missing)
            )
            for player, what in zip(missing, seen, strict=True):
                if what["toasts"]:
                    assert len(what["toasts"]) == 1, what["toasts"]
                    toasts[player.id] = what["toasts"][0]["text"]
            if len(toasts) < PLAYERS:
                await asyncio.sleep(0.2)
        return toasts


async def group_with_board(sim: RunningSim, session_id: int) -> dict[str, Any]:
    """The players as users of the fake Telegram, in one group, and the board the bot
    posted there (one sendMessage, as the sender makes it)."""
    async with AsyncSimClient(sim.url, connections=100) as control:
        users = await asyncio.gather(
            *(
                control.user(f"Player {k + 1}", id=FIRST_PLAYER + k, username=f"p{k}")
                for k in range(PLAYERS)
            )
        )
        await control.group("Quiz night", users, supergroup=False, chat_id=GROUP_CHAT)
        board: dict[str, Any] = await control.request(
            "POST",
            f"/bot{TOKEN}/sendMessage",
            {
                "chat_id": GROUP_CHAT,
                "text": "🏁 Capitals — final results",
                "reply_markup": results_keyboard(session_id, "presses"),
            },
        )
        return board["result"]  # type: ignore[no-any-return]


def test_a_thousand_my_result_presses_are_right_and_cost_no_message(
    engine: Engine, pooled_url: str, sim: RunningSim, tmp_path: Path
) -> None:
    session_id, expected = finished_game(engine)
    board = asyncio.run(group_with_board(sim, session_id))
    with web_server(pooled_url, tmp_path) as server:
        webhook = f"{server.url}/telegram/webhook"
        hook = {"url": webhook, "secret_token": SECRET, "max_connections": 40}
        httpx.post(f"{sim.url}/bot{TOKEN}/setWebhook", json=hook, timeout=10).raise_for_status()
        rows_before = outbox_rows(engine)
        counted_before, limited_before, answered_before = flood_counted(sim)
        assert counted_before == 1  # the board: what the sender's calls would count as

        toasts = asyncio.run(press_all(sim, board, ResultData(session_id).encode()))

        counted_after, limited_after, answered_after = flood_counted(sim)
        assert outbox_rows(engine) - rows_before == 0
        assert counted_after - counted_before == 0
        assert limited_after - limited_before == 0
        # The toasts were Bot API calls all the same: one reply each, none limited.
        assert answered_after - answered_before == PLAYERS
    wrong = {
        player: (toasts[player], my_result_toast(mine, PLAYERS, QUESTIONS))
        for player, mine in expected.items()
        if toasts[player] != my_result_toast(mine, PLAYERS, QUESTIONS)
    }
    assert wrong == {}
    assert len(set(toasts.values())) > PLAYERS // 2  # personal, not one text
