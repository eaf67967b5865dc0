"""A quiz being made with /newquiz: a plain value, stored after every step.

`to_data` and `from_data` turn it into JSON-ready data and back, so a restart
of any program, or a pause of a day, resumes the draft where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from quizbot.domain.quiz import Question


class Step(StrEnum):
    TITLE = "title"
    QUESTION = "question"
    OPTIONS = "options"
    CORRECT = "correct"
    EXPLANATION = "explanation"
    TIME = "time"
    SHUFFLE = "shuffle"  # after /done: shuffle the options in each game, or not
    # Editing a stored quiz (``domain.editing``): its menu, and which question to
    # change or delete.
    MENU = "menu"
    CHANGE_WHICH = "change_which"
    DELETE_WHICH = "delete_which"


@dataclass(frozen=True, slots=True)
class Draft:
    """What is done, and the question under way.

    ``editing`` is the id of the stored quiz being edited (None: a new quiz),
    and ``replacing`` the position of the question being written anew (None:
    one being added).
    """

    step: Step = Step.TITLE
    title: str = ""
    questions: tuple[Question, ...] = ()
    text: str = ""
    options: tuple[str, ...] = ()
    correct: frozenset[int] = frozenset()
    explanation: str | None = None
    editing: int | None = None
    replacing: int | None = None


def to_data(draft: Draft) -> dict[str, Any]:
    """The draft as JSON-ready data."""
    return {
        "step": draft.step.value,
        "title": draft.title,
        "questions": [_question_data(q) for q in draft.questions],
        "text": draft.text,
        "options": list(draft.options),
        "correct": sorted(draft.correct),
        "explanation": draft.explanation,
        "editing": draft.editing,
        "replacing": draft.replacing,
    }


def from_data(data: dict[str, Any]) -> Draft:
    """The draft `to_data` gave."""
    return Draft(
        step=Step(data["step"]),
        title=data["title"],
        questions=tuple(
            Question(
                q["text"], tuple(q["options"]), frozenset(q["correct"]), q["explanation"], q["time"]
            )
            for q in data["questions"]
        ),
        text=data["text"],
        options=tuple(data["options"]),
        correct=frozenset(data["correct"]),
        explanation=data["explanation"],
        # Drafts stored before editing existed have neither key.
        editing=data.get("editing"),
        replacing=data.get("replacing"),
    )


def _question_data(question: Question) -> dict[str, Any]:
    return {
        "text": question.text,
        "options": list(question.options),
        "correct": sorted(question.correct),
        "explanation": question.explanation,
        "time": question.time_limit_s,
    }
