"""Which button a simulated player presses.

The swarm stays a Telegram client: it never reads the bot's database. To
answer correctly with a given probability it needs the quiz's answers, which
it reads from the quiz file itself (the samples shipped with quizbot, found
by slug, or a file the operator names). Without a file it presses at random,
and the ground truth marks those answers' correctness as unknown.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from quizbot.domain.quiz import Quiz
from quizbot.sim.swarm.messages import QuestionCard
from quizbot.store.quizzes import load_quiz_file, sample_files


@dataclass(frozen=True, slots=True)
class Choice:
    """An option to press, and whether the player meant it to be correct (None: unknown)."""

    option: int
    correct: bool | None


@dataclass(frozen=True, slots=True)
class AnswerKey:
    """A quiz's correct options, matched to question messages by their text."""

    quiz: Quiz

    def correct_options(self, card: QuestionCard) -> frozenset[int] | None:
        """The correct options of the question on ``card``, or None if it is not this quiz's."""
        questions = self.quiz.questions
        # The position on the buttons is the first guess; the text confirms it.
        candidates = [questions[card.position]] if card.position < len(questions) else []
        candidates += questions
        for question in candidates:
            if question.text in card.text and len(question.options) == card.option_count:
                return question.correct
        return None


def load_answer_key(slug: str, path: Path | None = None) -> AnswerKey | None:
    """The answers of quiz ``slug``: from ``path`` when given, else from the shipped samples."""
    if path is not None:
        return AnswerKey(load_quiz_file(path))
    for sample in sample_files():
        quiz = load_quiz_file(sample)
        if quiz.slug == slug:
            return AnswerKey(quiz)
    return None


def choose(
    rng: random.Random, option_count: int, correct: frozenset[int] | None, accuracy: float
) -> Choice:
    """Press a correct option with probability ``accuracy``, a wrong one otherwise.

    Unknown answers (``correct`` None) mean a uniformly random press.
    """
    if correct is None or not correct:
        return Choice(rng.randrange(option_count), None)
    wrong = [i for i in range(option_count) if i not in correct]
    if not wrong or rng.random() < accuracy:
        return Choice(rng.choice(sorted(correct)), True)
    return Choice(rng.choice(wrong), False)
