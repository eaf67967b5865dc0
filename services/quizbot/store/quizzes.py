"""Quiz files in, quizzes in the database, and back out for play.

Re-importing is idempotent: the same content under the same slug changes
nothing. An operator's imports have no owner and share one namespace of
slugs; each user has one of their own (``save_owned_quiz``). Different content under a slug that exists is refused with a clear
message, unless ``replace`` is asked for and the quiz has never been played
(answers refer to questions by position, so a played quiz is history).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from quizbot.domain.ownership import Actor, Visibility
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.session import Style
from quizbot.store import models as m

# Quiz files are read in one place; callers of the loader find it here too.
from quizbot.store.quizfiles import load_quiz_file as load_quiz_file

OPERATOR = Actor(operator=True)


class QuizConflict(RuntimeError):
    """A different quiz already uses this slug."""


@dataclass(frozen=True)
class ImportResult:
    slug: str
    quiz_id: int
    outcome: str  # "created", "unchanged" or "replaced"


@dataclass(frozen=True)
class QuizRow:
    id: int
    slug: str
    title: str
    question_count: int
    sessions: int


def _insert_questions(conn: Connection, quiz_id: int, quiz: Quiz) -> None:
    conn.execute(
        sa.insert(m.Question),
        [
            {
                "quiz_id": quiz_id,
                "position": pos,
                "text": q.text,
                "options": list(q.options),
                "correct": sorted(q.correct),
                "explanation": q.explanation,
                "time_limit_s": q.time_limit_s,
            }
            for pos, q in enumerate(quiz.questions)
        ],
    )


def _content(quiz: Quiz) -> dict[str, object]:
    """The quiz row's columns that its content sets (the slug and owner are its identity)."""
    return {
        "title": quiz.title,
        "description": quiz.description,
        "content_hash": quiz.content_hash(),
        "question_count": len(quiz.questions),
        "style": quiz.style.value,
        "shuffle": quiz.shuffle,
    }


def _insert_quiz(conn: Connection, quiz: Quiz, slug: str, **owner: object) -> int:
    quiz_id = conn.scalar(
        sa.insert(m.Quiz).values(slug=slug, **_content(quiz), **owner).returning(m.Quiz.id)
    )
    assert quiz_id is not None
    _insert_questions(conn, quiz_id, quiz)
    return quiz_id


def save_owned_quiz(conn: Connection, quiz: Quiz, owner_id: int) -> ImportResult:
    """Store a quiz a user made, private to them, in the caller's transaction.

    Slugs are unique per owner: its slug is the quiz's own, or, when the owner
    keeps one of that slug already, the first free ``<slug>-2``, ``-3``…; a made
    quiz never takes over or refuses because of another with the same title.
    """
    # Serialize saves of one slug, as imports do, so two cannot both pick the same one.
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(quiz.slug))))
    taken = set(
        conn.scalars(
            sa.select(m.Quiz.slug).where(
                m.Quiz.owner_id == owner_id,
                m.Quiz.deleted_at.is_(None),
                (m.Quiz.slug == quiz.slug)
                | m.Quiz.slug.startswith(f"{quiz.slug}-", autoescape=True),
            )
        )
    )
    slug = next(s for s in _slugs(quiz.slug) if s not in taken)
    quiz_id = _insert_quiz(conn, quiz, slug, owner_id=owner_id, visibility="private")
    return ImportResult(slug, quiz_id, "created")


def _slugs(base: str) -> Iterator[str]:
    yield base
    yield from (f"{base}-{n}" for n in itertools.count(2))


def import_quiz(conn: Connection, quiz: Quiz, *, replace: bool = False) -> ImportResult:
    """Store ``quiz`` in the caller's transaction: created, unchanged, or replaced when allowed."""
    digest = quiz.content_hash()
    # Serialize imports of one slug so two concurrent imports cannot both create it.
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(quiz.slug))))
    # Operators' imports have no owner; a user's quiz of the same slug is another one.
    row = conn.execute(
        sa.select(m.Quiz.id, m.Quiz.content_hash).where(
            m.Quiz.slug == quiz.slug, m.Quiz.owner_id.is_(None), m.Quiz.deleted_at.is_(None)
        )
    ).first()
    if row is None:
        return ImportResult(quiz.slug, _insert_quiz(conn, quiz, quiz.slug), "created")
    quiz_id, existing = row
    if existing == digest:
        return ImportResult(quiz.slug, quiz_id, "unchanged")
    if not replace:
        raise QuizConflict(
            f"a different quiz with slug {quiz.slug!r} is already imported; "
            "use --replace to overwrite it (only if it was never played), "
            "or give the new one another slug"
        )
    times = conn.scalar(sa.select(sa.func.count()).where(m.Session.quiz_id == quiz_id))
    if times:
        raise QuizConflict(
            f"quiz {quiz.slug!r} has been played {times} time(s); its questions are "
            "history and cannot be replaced. Import the new version under another slug."
        )
    replace_content(conn, quiz_id, quiz)
    return ImportResult(quiz.slug, quiz_id, "replaced")


def replace_content(conn: Connection, quiz_id: int, quiz: Quiz) -> None:
    """Give a never-played quiz ``quiz``'s content (its slug and owner stay).

    Answers refer to questions by position, so only a quiz no session has
    used may change; the caller checks :func:`played` in its transaction.
    """
    conn.execute(sa.delete(m.Question).where(m.Question.quiz_id == quiz_id))
    conn.execute(
        sa.update(m.Quiz)
        .where(m.Quiz.id == quiz_id)
        .values(**_content(quiz), updated_at=sa.func.now())
    )
    _insert_questions(conn, quiz_id, quiz)


def played(conn: Connection, quiz_id: int) -> bool:
    """Whether any session (even a lobby) has used the quiz: its questions are history.

    The quiz row is locked FOR UPDATE first, until the caller's transaction
    ends: a session's insert takes FOR KEY SHARE on the quiz it names, so no
    session can start between this answer and a :func:`replace_content`.
    """
    conn.execute(sa.select(m.Quiz.id).where(m.Quiz.id == quiz_id).with_for_update())
    query = sa.select(sa.exists().where(m.Session.quiz_id == quiz_id))
    return bool(conn.scalar(query))


# Who finds a quiz in a list (``domain.ownership.may`` with FIND, as SQL): an
# operator every quiz, anyone else the public ones and their own; nobody a
# deleted one. A public quiz whose slug the viewer's own quiz has is left out,
# as /play <slug> finds the viewer's own (slugs are unique per owner).
def _visible(viewer: Actor) -> sa.ColumnElement[bool]:
    alive = m.Quiz.deleted_at.is_(None)
    if viewer.operator:
        return alive
    public = m.Quiz.visibility == Visibility.PUBLIC.value
    if viewer.user_id is None:
        return alive & public
    own = aliased(m.Quiz)
    shadowed = (
        sa.select(own.id)
        .where(own.owner_id == viewer.user_id, own.slug == m.Quiz.slug, own.deleted_at.is_(None))
        .exists()
    )
    mine = m.Quiz.owner_id == viewer.user_id
    return alive & (mine | (public & ~shadowed))


def list_quizzes(conn: Connection, viewer: Actor = OPERATOR) -> list[QuizRow]:
    """The quizzes ``viewer`` finds, with their question count and how many sessions played them."""
    played = (
        sa.select(sa.func.count())
        .where(m.Session.quiz_id == m.Quiz.id)
        .correlate(m.Quiz)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(m.Quiz.id, m.Quiz.slug, m.Quiz.title, m.Quiz.question_count, played)
        .where(_visible(viewer))
        .order_by(m.Quiz.slug)
    )
    return [QuizRow(*row) for row in rows]


def search_quizzes(
    conn: Connection, words: str, limit: int = 50, viewer: Actor = OPERATOR
) -> list[QuizRow]:
    """Quizzes ``viewer`` finds whose title or slug contains ``words`` (case-insensitive).

    An empty ``words`` lists the most played quizzes first.
    """
    played = (
        sa.select(sa.func.count())
        .where(m.Session.quiz_id == m.Quiz.id)
        .correlate(m.Quiz)
        .scalar_subquery()
    )
    query = sa.select(m.Quiz.id, m.Quiz.slug, m.Quiz.title, m.Quiz.question_count, played).where(
        _visible(viewer)
    )
    words = words.strip()
    if words:
        # autoescape: a player's % or _ matches itself, not any text
        query = query.where(
            m.Quiz.title.icontains(words, autoescape=True)
            | m.Quiz.slug.icontains(words, autoescape=True)
        )
    rows = conn.execute(query.order_by(played.desc(), m.Quiz.slug).limit(limit))
    return [QuizRow(*row) for row in rows]


def load_quiz(conn: Connection, quiz_id: int) -> Quiz:
    """A stored quiz as the domain's value object."""
    head = conn.execute(
        sa.select(
            m.Quiz.slug, m.Quiz.title, m.Quiz.description, m.Quiz.style, m.Quiz.shuffle
        ).where(m.Quiz.id == quiz_id)
    ).one()
    questions = conn.execute(
        sa.select(
            m.Question.text,
            m.Question.options,
            m.Question.correct,
            m.Question.explanation,
            m.Question.time_limit_s,
        )
        .where(m.Question.quiz_id == quiz_id)
        .order_by(m.Question.position)
    )
    return Quiz(
        slug=head.slug,
        title=head.title,
        description=head.description,
        questions=tuple(
            Question(
                text=q.text,
                options=tuple(q.options),
                correct=frozenset(q.correct),
                explanation=q.explanation,
                time_limit_s=q.time_limit_s,
            )
            for q in questions
        ),
        style=Style(head.style),
        shuffle=head.shuffle,
    )


def sample_files() -> list[Path]:
    """The sample quizzes shipped with the package."""
    folder = Path(__file__).resolve().parent.parent / "samples"
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
