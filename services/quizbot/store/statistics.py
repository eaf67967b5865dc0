"""A quiz's statistics over every play, for its author (/stats) and operators
(`quizbot quiz stats`): the one place they are computed.

The figures are defined in ``domain.statistics``. Two read-only statements,
each an aggregate over the quiz's sessions: they read ``answers`` through its
primary key's ``session_id`` prefix, so their cost is the quiz's own answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.statistics import QuestionFigures, QuizFigures

# Both start from the plays: sessions that asked at least their first question
# (a lobby nobody started is not one).
QUIZ_FIGURES = sa.text(
    """
    WITH
    plays AS (
        SELECT id, question_count FROM sessions
        WHERE quiz_id = :quiz_id AND started_at IS NOT NULL
    )
    SELECT
        (SELECT count(*) FROM plays) AS plays,
        (SELECT count(DISTINCT p.player_id)
           FROM participants p JOIN plays s ON s.id = p.session_id) AS players,
        (SELECT count(*) FROM participants p JOIN plays s ON s.id = p.session_id)
            AS participations,
        (SELECT count(*)
           FROM participants p JOIN plays s ON s.id = p.session_id
           JOIN answers a ON a.session_id = p.session_id AND a.player_id = p.player_id
                         AND a.position = s.question_count - 1) AS completed,
        (SELECT avg(r.score) FROM results r JOIN plays s ON s.id = r.session_id)
            AS average_score
    """
)

# Per question: DISTINCT ON keeps each position's most chosen wrong option,
# the first written on a tie.
QUESTION_FIGURES = sa.text(
    """
    WITH
    plays AS (
        SELECT id, question_count FROM sessions
        WHERE quiz_id = :quiz_id AND started_at IS NOT NULL
    ),
    given AS (
        SELECT a.position, a.option, a.correct, a.elapsed_ms
        FROM answers a JOIN plays s ON s.id = a.session_id
    ),
    per AS (
        SELECT position, count(*) AS answers, avg(correct::int) AS share_correct,
               avg(elapsed_ms) / 1000.0 AS mean_s
        FROM given GROUP BY position
    ),
    wrong AS (
        SELECT DISTINCT ON (position) position, option, count(*) AS chosen
        FROM given WHERE NOT correct
        GROUP BY position, option
        ORDER BY position, count(*) DESC, option
    )
    SELECT q.position, q.text, q.options, coalesce(per.answers, 0) AS answers,
           per.share_correct, per.mean_s, wrong.option AS top_wrong,
           coalesce(wrong.chosen, 0) AS top_wrong_count
    FROM questions q
    LEFT JOIN per ON per.position = q.position
    LEFT JOIN wrong ON wrong.position = q.position
    WHERE q.quiz_id = :quiz_id
    ORDER BY q.position
    """
)


def quiz_figures(conn: Connection, quiz_id: int) -> QuizFigures:
    """The quiz's figures over every play (see ``domain.statistics``)."""
    head = conn.execute(
        sa.text("SELECT slug, title FROM quizzes WHERE id = :quiz_id"), {"quiz_id": quiz_id}
    ).one()
    totals = conn.execute(QUIZ_FIGURES, {"quiz_id": quiz_id}).one()
    questions = tuple(
        QuestionFigures(
            position=row.position,
            text=row.text,
            answers=row.answers,
            share_correct=None if row.share_correct is None else float(row.share_correct),
            mean_answer_s=None if row.mean_s is None else float(row.mean_s),
            top_wrong=row.top_wrong,
            top_wrong_text=None if row.top_wrong is None else row.options[row.top_wrong],
            top_wrong_count=row.top_wrong_count,
        )
        for row in conn.execute(QUESTION_FIGURES, {"quiz_id": quiz_id})
    )
    return QuizFigures(
        slug=head.slug,
        title=head.title,
        plays=totals.plays,
        players=totals.players,
        participations=totals.participations,
        completed=totals.completed,
        average_score=None if totals.average_score is None else float(totals.average_score),
        questions=questions,
    )
