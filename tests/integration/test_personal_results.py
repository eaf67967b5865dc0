"""📊 My result and "How did I do?" through the real webhook: answered in the reply.

The toasts read what the finish wrote (``results``) and the player's own
answers; the presses add no outbox row, so they cost nothing against
Telegram's flood limits. Expected figures are computed here, independently,
from the stored answers with the domain's scoring rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.domain import limits
from quizbot.domain.scoring import PlayerTotals, ScoringRules, points, rank
from quizbot.domain.session import Status
from quizbot.store import results
from tests.integration.webtier import (
    FIRST_PLAYER,
    open_question,
    post,
    press,
    seed_quiz,
)

QUESTIONS = 3
PLAYERS = 6
TIME_LIMIT_MS = 20_000  # webtier.seed_quiz


# The module's tests share one web server (conftest), and nothing else.
pytestmark = pytest.mark.usefixtures("fresh_database")


def toast(response: httpx.Response, query_id: str) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "answerCallbackQuery" and body["callback_query_id"] == query_id
    text = body["text"]
    assert isinstance(text, str) and 0 < len(text) <= limits.CALLBACK_ANSWER_TEXT_MAX
    return text


def press_for_toast(client: httpx.Client, server: WebServer, data: str, player: int) -> str:
    update = press(data, player)
    return toast(post(client, server, update), update["callback_query"]["id"])


def outbox_rows(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.scalar(sa.text("SELECT count(*) FROM outbox")) or 0)


def advance(db: Engine, session_id: int, position: int, status: str) -> None:
    """What the writer does at a deadline: the session moves on (the test plays the clock)."""
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE sessions SET position = :p, status = CAST(:s AS session_status),"
                " opened_at = now(), deadline = now() + interval '60 seconds',"
                " answered_count = 0 WHERE id = :id"
            ),
            {"p": position, "s": status, "id": session_id},
        )


def stored_answers(db: Engine, session_id: int) -> list[tuple[int, int, int, int]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT player_id, position, option, elapsed_ms FROM answers"
                " WHERE session_id = :s ORDER BY player_id, position"
            ),
            {"s": session_id},
        )
        return [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows]


def play_a_group_game(db: Engine, client: httpx.Client, server: WebServer) -> int:
    """Players answer over the real webhook: player k picks option (k + position) % 4."""
    quiz_id = seed_quiz(db, slug=f"personal-{datetime.now().timestamp():.0f}", questions=QUESTIONS)
    session_id = open_question(db, quiz_id, players=PLAYERS)
    for position in range(QUESTIONS):
        if position:
            advance(db, session_id, position, "question")
        # the last player never answers; player 4 skips question 1
        for k in range(PLAYERS - 1):
            if (k, position) == (4, 1):
                continue
            data = f"a:{session_id}:{position}:{(k + position) % 4}"
            assert "locked in" in press_for_toast(client, server, data, FIRST_PLAYER + k)
        advance(db, session_id, position, "reveal")
    return session_id


def test_every_player_gets_their_own_result_in_the_reply_and_no_outbox_row(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    session_id = play_a_group_game(db, client, server)
    pending = press_for_toast(client, server, f"r:{session_id}", FIRST_PLAYER)
    assert pending == "⏳ The results are not in yet."
    with db.begin() as conn:
        finished = results.finish_session(
            conn, session_id, Status.FINISHED, datetime.now(UTC), ScoringRules()
        )
    assert finished is not None and finished.total_players == PLAYERS
    # The independent computation: the stored answers, scored by the domain's rule.
    totals: dict[int, list[int]] = {FIRST_PLAYER + k: [0, 0, 0, 0] for k in range(PLAYERS)}
    for player, position, option, elapsed in stored_answers(db, session_id):
        correct = option == position % 4  # seed_quiz: question p's answer is p % 4
        row = totals[player]
        row[0] += points(correct, elapsed, TIME_LIMIT_MS, ScoringRules())
        row[1] += int(correct)
        row[2] += 1
        row[3] += elapsed
    expected = rank(PlayerTotals(p, *row) for p, row in totals.items())
    before = outbox_rows(db)

    for mine in expected:
        got = press_for_toast(client, server, f"r:{session_id}", mine.player_id)
        assert got == (
            f"📊 Your result: {mine.score:,} pts · {mine.correct} of {QUESTIONS} correct · "
            f"rank {mine.rank} of {PLAYERS}"
        )
    stranger = press_for_toast(client, server, f"r:{session_id}", FIRST_PLAYER + 999)
    assert stranger == "You did not play this quiz."
    assert outbox_rows(db) == before


def test_how_did_i_do_tells_each_player_their_answer_to_that_question(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    session_id = play_a_group_game(db, client, server)
    before = outbox_rows(db)
    elapsed = {(p, pos): ms for p, pos, _, ms in stored_answers(db, session_id)}

    # question 1's answer is B; player k picked option (k + 1) % 4
    right = press_for_toast(client, server, f"h:{session_id}:1", FIRST_PLAYER)
    wrong = press_for_toast(client, server, f"h:{session_id}:1", FIRST_PLAYER + 3)
    skipped = press_for_toast(client, server, f"h:{session_id}:1", FIRST_PLAYER + 4)

    spent = elapsed[(FIRST_PLAYER, 1)]
    gained = points(True, spent, TIME_LIMIT_MS, ScoringRules())
    assert right == f"Question 2: ✅ B is right! +{gained} pts in {spent / 1000:.1f} s"
    assert wrong == "Question 2: ❌ you picked A; the answer was B."
    assert skipped == "Question 2: you did not answer this one."
    assert outbox_rows(db) == before
