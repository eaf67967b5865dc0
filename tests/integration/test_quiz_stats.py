"""A quiz's statistics, for its author (/stats through the webhook) and for operators
(`quizbot quiz stats`), checked against figures computed here from the same rows."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quizbot.domain.quiz import Question, Quiz
from quizbot.store.pgbouncer import PgBouncer
from quizbot.store.quizzes import import_quiz, save_owned_quiz
from quizbot.store.statistics import quiz_figures
from tests.conftest import PgServer
from tests.integration.test_cli_quiz import run
from tests.integration.webtier import command, post, web_server

OWNER = 9101
STRANGER = 9102
OPTIONS = ("Paris", "Rome", "Oslo", "Bern")


@dataclass(frozen=True)
class Given:
    """What was played, as this test wrote it: the ground truth."""

    session: int
    started: bool
    player: int
    answers: dict[int, tuple[int, int]]  # position -> (option, elapsed ms)
    score: int | None


def quiz(slug: str) -> Quiz:
    questions = tuple(
        Question(f"Capital {p + 1}?", OPTIONS, frozenset({p % 4}), None, 20) for p in range(3)
    )
    return Quiz(slug=slug, title="Capitals & co", description="", questions=questions)


def play(db: Engine, quiz_id: int, seed: int) -> list[Given]:
    """Sessions of the quiz with random players, answers and results, as a game leaves them:
    some finished, one still running, one lobby never started (not a play)."""
    rng = random.Random(seed)
    given: list[Given] = []
    with db.begin() as conn:
        for n in range(5):
            started = n != 4
            session = conn.scalar(
                sa.text(
                    "INSERT INTO sessions (quiz_id, mode, status, chat_id, host_id,"
                    " question_count, started_at) VALUES (:q, 'group', CAST(:st AS session_status),"
                    " :chat, :host, 3, CASE WHEN :started THEN now() END) RETURNING id"
                ),
                {
                    "q": quiz_id,
                    "st": "finished" if n < 3 else ("question" if started else "lobby"),
                    "chat": -500 - n,
                    "host": OWNER,
                    "started": started,
                },
            )
            for player in rng.sample(range(1, 40), rng.randint(3, 12)):
                answered = {
                    p: (rng.randrange(4), rng.randint(300, 19_000))
                    for p in range(3)
                    if rng.random() < 0.8
                }
                finished = n < 3
                score = rng.randint(0, 450) if finished else None
                given.append(Given(session, started, player, answered, score))
                conn.execute(
                    sa.text(
                        "INSERT INTO participants (session_id, player_id, chat_id)"
                        " VALUES (:s, :p, :c)"
                    ),
                    {"s": session, "p": player, "c": -500 - n},
                )
                for position, (option, elapsed) in answered.items():
                    conn.execute(
                        sa.text(
                            "INSERT INTO answers (session_id, position, player_id, option,"
                            " correct, elapsed_ms) VALUES (:s, :pos, :p, :o, :c, :e)"
                        ),
                        {
                            "s": session,
                            "pos": position,
                            "p": player,
                            "o": option,
                            "c": option == position % 4,
                            "e": elapsed,
                        },
                    )
                if score is not None:
                    conn.execute(
                        sa.text(
                            "INSERT INTO results (session_id, player_id, score, correct,"
                            " answered, total_time_ms, rank) VALUES (:s, :p, :sc, 0, 0, 0, 1)"
                        ),
                        {"s": session, "p": player, "sc": score},
                    )
    return given


def expected(given: list[Given]) -> dict[str, object]:
    """The figures, computed here from what was played."""
    plays = [g for g in given if g.started]
    scores = [g.score for g in plays if g.score is not None]
    per_question = []
    for position in range(3):
        chosen = [g.answers[position] for g in plays if position in g.answers]
        wrong = Counter(o for o, _ in chosen if o != position % 4)
        top = min(wrong, key=lambda o: (-wrong[o], o)) if wrong else None
        per_question.append(
            {
                "answers": len(chosen),
                "share_correct": sum(o == position % 4 for o, _ in chosen) / len(chosen),
                "mean_answer_s": mean(e for _, e in chosen) / 1000,
                "top_wrong": top,
                "top_wrong_count": wrong[top] if top is not None else 0,
            }
        )
    return {
        "plays": len({g.session for g in plays}),
        "players": len({g.player for g in plays}),
        "completion_rate": sum(2 in g.answers for g in plays) / len(plays),
        "average_score": mean(scores),
        "questions": per_question,
    }


def measured(data: dict[str, object]) -> dict[str, object]:
    keys = ("answers", "share_correct", "mean_answer_s", "top_wrong", "top_wrong_count")
    questions = data["questions"]
    assert isinstance(questions, list | tuple)
    return {
        **{k: data[k] for k in ("plays", "players", "completion_rate", "average_score")},
        "questions": [{k: q[k] for k in keys} for q in questions],
    }


def as_data(figures: object) -> dict[str, object]:
    """The figures as `quizbot quiz stats` prints them."""
    return {**dataclasses.asdict(figures), "completion_rate": figures.completion_rate}  # type: ignore[call-overload, attr-defined]


def same(got: dict[str, object], truth: dict[str, object]) -> None:
    assert (got["plays"], got["players"]) == (truth["plays"], truth["players"])
    assert got["completion_rate"] == pytest.approx(truth["completion_rate"])
    assert got["average_score"] == pytest.approx(truth["average_score"])
    assert got["questions"] == [
        {
            **q,
            "share_correct": pytest.approx(q["share_correct"]),
            "mean_answer_s": pytest.approx(q["mean_answer_s"]),
        }
        for q in truth["questions"]  # type: ignore[attr-defined]
    ]


def test_the_figures_equal_an_independent_computation_over_every_play(
    db: Engine, web_db: str, pg_server: PgServer, tmp_path: Path
) -> None:
    with db.begin() as conn:
        quiz_id = import_quiz(conn, quiz("capitals-stats")).quiz_id
        other_id = import_quiz(conn, quiz("capitals-other")).quiz_id
    truth = expected(play(db, quiz_id, seed=13))
    play(db, other_id, seed=14)  # another quiz's plays are not counted

    with db.connect() as conn:
        same(measured(as_data(quiz_figures(conn, quiz_id))), truth)
    cli = run(pg_server.url(web_db), "quiz", "stats", "capitals-stats", tmp=tmp_path)
    assert cli.returncode == 0, cli.stderr
    same(measured(json.loads(cli.stdout)), truth)
    missing = run(pg_server.url(web_db), "quiz", "stats", "no-such-quiz", tmp=tmp_path)
    assert missing.returncode == 1 and "no quiz with the slug" in missing.stderr


def test_stats_in_telegram_are_the_owners_alone(
    db: Engine, web_db: str, pgbouncer: PgBouncer, tmp_path: Path
) -> None:
    with db.begin() as conn:
        made = save_owned_quiz(conn, quiz("owned-stats"), OWNER)
        public = import_quiz(conn, quiz("public-stats")).quiz_id
    truth = expected(play(db, made.quiz_id, seed=21))
    play(db, public, seed=22)

    with (
        web_server(pgbouncer.url(web_db), tmp_path) as server,
        httpx.Client(timeout=15) as client,
    ):
        asked = [
            (OWNER, f"/stats {made.slug}"),
            (STRANGER, f"/stats {made.slug}"),
            (STRANGER, "/stats no-such-quiz"),
            (STRANGER, "/stats public-stats"),  # an operator's quiz has no owner to ask
            (OWNER, "/stats"),
        ]
        for user, text in asked:
            assert post(client, server, command(text, user)).status_code == 200
    with db.connect() as conn:
        said = {
            (chat, n): text
            for n, (chat, text) in enumerate(
                conn.execute(
                    sa.text("SELECT chat_id, params->>'text' FROM outbox ORDER BY id")
                ).all()
            )
        }
    owner_reply, stranger_private, stranger_unknown, stranger_public, no_slug = said.values()
    assert stranger_private == stranger_unknown.replace("no-such-quiz", made.slug)
    assert stranger_public == stranger_unknown.replace("no-such-quiz", "public-stats")
    assert "Which quiz?" in no_slug
    assert owner_reply.startswith("📈 <b>Capitals &amp; co</b>")
    assert f"Plays: {truth['plays']} · Players: {truth['players']}" in owner_reply
    completion = f"{truth['completion_rate'] * 100:.0f}%"  # type: ignore[operator]
    assert f"Completed: {completion} · Average score: {truth['average_score']:.0f}" in owner_reply
    for position, q in enumerate(truth["questions"]):  # type: ignore[arg-type]
        line = next(x for x in owner_reply.splitlines() if x.startswith(f"{position + 1}. "))
        assert f"✅ {q['share_correct'] * 100:.0f}%" in line
        assert f"⏱ {q['mean_answer_s']:.1f} s" in line
        if q["top_wrong"] is not None:
            assert f"most chosen wrong: {OPTIONS[q['top_wrong']]} ({q['top_wrong_count']})" in line
