"""Quiz and Question: the immutable content a session plays."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

from quizbot.domain.session import Style


@dataclass(frozen=True, slots=True)
class Question:
    """One multiple-choice question.

    `correct` holds 0-based option indexes; with more than one, any of them
    counts as a correct answer (a player presses one button).
    """

    text: str
    options: tuple[str, ...]
    correct: frozenset[int]
    explanation: str | None
    time_limit_s: int

    def __post_init__(self) -> None:
        if not self.correct:
            raise ValueError("a question needs at least one correct option")
        if not all(0 <= index < len(self.options) for index in self.correct):
            raise ValueError(f"correct options {sorted(self.correct)} out of range")
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive")

    @property
    def time_limit_ms(self) -> int:
        """The time limit in milliseconds, the unit answers are timed in."""
        return self.time_limit_s * 1000

    def is_correct(self, option: int) -> bool:
        """Whether pressing `option` (0-based) scores."""
        return option in self.correct


@dataclass(frozen=True, slots=True)
class Quiz:
    """A titled list of questions, addressed by its slug (`/play <slug>`)."""

    slug: str
    title: str
    description: str
    questions: tuple[Question, ...]
    # How a live game asks the questions unless its host says otherwise (/live <slug> polls).
    style: Style = Style.BUTTONS
    # Each game shows a question's buttons in its own order (see `option_order`).
    shuffle: bool = False

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError("a quiz needs at least one question")

    def content_hash(self) -> str:
        """SHA-256 hex digest of the content, stable across processes.

        Importing a file whose hash matches the stored one changes nothing,
        so re-importing is idempotent. The slug is the identity, not content.
        """
        content: dict[str, object] = {
            "title": self.title,
            "description": self.description,
            "questions": [
                {
                    "text": q.text,
                    "options": list(q.options),
                    "correct": sorted(q.correct),
                    "explanation": q.explanation,
                    "time_limit_s": q.time_limit_s,
                }
                for q in self.questions
            ],
        }
        if self.style is not Style.BUTTONS:  # so the hashes of earlier imports still hold
            content["style"] = self.style.value
        if self.shuffle:
            content["shuffle"] = True
        canonical = json.dumps(
            content,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def option_order(session_id: int, position: int, options: int, shuffle: bool) -> tuple[int, ...]:
    """The order a session shows a question's options in: as written, or shuffled.

    The shuffle is seeded by the session and the question, so every message of
    that question (the question, its timer edits, its reveal) shows one order,
    in any process. Buttons keep carrying the option's index as written, so
    answers and scores do not depend on the order.
    """
    order = list(range(options))
    if shuffle:
        random.Random(f"{session_id}:{position}").shuffle(order)
    return tuple(order)
