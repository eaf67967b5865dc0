"""A Quiz as the plain data of the YAML and JSON formats: the inverse of validation."""

from __future__ import annotations

from collections import Counter

from quizbot.domain import limits
from quizbot.domain.quiz import Quiz
from quizbot.domain.session import Style


def quiz_data(quiz: Quiz) -> dict[str, object]:
    """The quiz as `validate_quiz` reads it back: same fields, 1-based `correct`.

    The most common time limit becomes the quiz's `time_limit` (left out when
    it is the default), so a question names its own only when it differs.
    """
    common = Counter(q.time_limit_s for q in quiz.questions).most_common(1)[0][0]
    data: dict[str, object] = {"title": quiz.title, "slug": quiz.slug}
    if quiz.description:
        data["description"] = quiz.description
    if common != limits.TIME_LIMIT_DEFAULT:
        data["time_limit"] = common
    if quiz.style is not Style.BUTTONS:
        data["style"] = quiz.style.value
    if quiz.shuffle:
        data["shuffle"] = True
    questions: list[dict[str, object]] = []
    for question in quiz.questions:
        correct = [index + 1 for index in sorted(question.correct)]
        entry: dict[str, object] = {
            "question": question.text,
            "options": list(question.options),
            "correct": correct[0] if len(correct) == 1 else correct,
        }
        if question.explanation:
            entry["explanation"] = question.explanation
        if question.time_limit_s != common:
            entry["time_limit"] = question.time_limit_s
        questions.append(entry)
    data["questions"] = questions
    return data
