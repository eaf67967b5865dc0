"""A finished game's results as CSV, for its quiz's author: asked for under /stats in
the fake Telegram, sent by the real webhook and sender as a document, and,
read back as a spreadsheet would, equal to the results the finish wrote.
The operator's ``quizbot quiz results`` writes the same file."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.scoring import ScoringRules
from quizbot.domain.session import Status
from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import SimClient
from quizbot.store.results import finish_session
from tests.integration.test_cli_quiz import run
from tests.integration.webtier import FIRST_PLAYER, open_question, seed_quiz
from tests.integration.whole_bot import bot, download, replies

OWNER = 7101
PLAYERS = 12
# Names a spreadsheet would trip on: a formula, a comma and quotes, a line break.
NAMES = ["=1+1", 'Zoë "Z", the 2nd', "Line\nbreak", "@mention"]


def finished_game(engine: Engine, quiz_id: int, seed: int) -> int:
    """A group game of the quiz as the writer leaves it: random answers, then its finish."""
    rng = random.Random(seed)
    session_id = open_question(engine, quiz_id, players=PLAYERS, position=2)
    with engine.begin() as conn:
        for k in range(PLAYERS):
            name = NAMES[k] if k < len(NAMES) else f"Player {k}"
            conn.execute(
                sa.text(
                    "INSERT INTO players (id, first_name, username) VALUES (:id, :n, :u)"
                    " ON CONFLICT (id) DO NOTHING"
                ),
                {"id": FIRST_PLAYER + k, "n": name, "u": f"user{k}" if k % 3 else None},
            )
            for position in range(3):
                if rng.random() < 0.2:
                    continue  # no answer to this one
                option = rng.randrange(4)
                conn.execute(
                    sa.text(
                        "INSERT INTO answers (session_id, position, player_id, option, correct,"
                        " elapsed_ms) VALUES (:s, :p, :pl, :o, :c, :e)"
                    ),
                    {
                        "s": session_id,
                        "p": position,
                        "pl": FIRST_PLAYER + k,
                        "o": option,
                        "c": option == position % 4,  # seed_quiz: question p's answer is p % 4
                        "e": rng.randint(400, 19_000),
                    },
                )
        finished = finish_session(
            conn, session_id, Status.FINISHED, datetime.now(UTC), ScoringRules()
        )
        assert finished is not None and finished.total_players == PLAYERS
    return session_id


def stored_results(engine: Engine, session_id: int) -> list[list[str]]:
    """The finish's rows, as the CSV should give them back (text cells)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.rank, p.first_name, p.username, r.player_id, r.score, r.correct,"
                " r.answered, r.total_time_ms FROM results r JOIN players p ON p.id = r.player_id"
                " WHERE r.session_id = :s ORDER BY r.rank, r.player_id"
            ),
            {"s": session_id},
        )
        return [
            [str(rank), name, username or "", str(player), str(score), str(correct),
             str(answered), "3", f"{ms / 1000:.1f}"]
            for rank, name, username, player, score, correct, answered, ms in rows
        ]  # fmt: skip


def read_csv(content: bytes) -> list[list[str]]:
    """The file as a spreadsheet reads it; a guarded formula reads as its name."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "rank", "player", "username", "player_id", "score", "correct", "answered",
        "questions", "time_s",
    ]  # fmt: skip
    return [[row[0], row[1].removeprefix("'"), *row[2:]] for row in rows[1:]]


async def test_the_author_gets_a_games_results_as_csv_equal_to_the_stored_results(
    settings: Settings, engine: Engine, sim: RunningSim, control: SimClient, pooled_url: str,
    tmp_path: Path, db_url: str,
) -> None:  # fmt: skip
    quiz_id = seed_quiz(engine, slug="capitals")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE quizzes SET owner_id = :o, visibility = 'private' WHERE id = :q"),
            {"o": OWNER, "q": quiz_id},
        )
    older = finished_game(engine, quiz_id, seed=1)
    latest = finished_game(engine, quiz_id, seed=2)
    ann = control.user("Ann", id=OWNER)
    async with bot(settings, sim, pooled_url, tmp_path):
        await asyncio.to_thread(ann.send, "/stats capitals")
        [page] = await replies(ann, 0, 1)
        buttons = [b for row in page["reply_markup"]["inline_keyboard"] for b in row]
        # The latest game first, each labelled with its date and player count.
        assert [b["callback_data"] for b in buttons] == [f"x:{latest}", f"x:{older}"]
        assert all(b["text"].endswith(f"UTC · {PLAYERS} players") for b in buttons)
        assert "The results of a game, as a CSV file" in page["text"]
        await asyncio.to_thread(ann.press, page, data=f"x:{latest}")
        [sent] = await replies(ann, 1, 1)
    document = sent["document"]
    assert document["file_name"].startswith("capitals-") and document["file_name"].endswith(
        f"-{latest}.csv"
    )
    assert sent["caption"] == "Capitals"
    assert [t["text"] for t in ann.toasts()] == ["⬇️ Sending the file…"]
    content = download(sim, document["file_id"])
    assert read_csv(content) == stored_results(engine, latest)
    raw = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    names = {row[3]: row[1] for row in raw}
    # A name a spreadsheet would run is written after a quote; the others as they are.
    assert names[str(FIRST_PLAYER)] == "'=1+1" and names[str(FIRST_PLAYER + 3)] == "'@mention"
    assert names[str(FIRST_PLAYER + 2)] == "Line\nbreak"

    # The operator's command writes the same file, for the latest game or a named one.
    out = tmp_path / "older.csv"
    done = run(db_url, "quiz", "results", "capitals", "--session", str(older), "-o", str(out),
               tmp=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert read_csv(out.read_bytes()) == stored_results(engine, older)
    latest_out = run(db_url, "quiz", "results", "capitals", tmp=tmp_path)
    assert read_csv(latest_out.stdout.encode()) == stored_results(engine, latest)
    missing = run(db_url, "quiz", "results", "capitals", "--session", "999999", tmp=tmp_path)
    assert missing.returncode == 1 and "no finished game 999999" in missing.stderr
