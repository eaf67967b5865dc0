"""A question asked as a native Telegram quiz poll: sendPoll and stopPoll params.

The poll style of a live game (``session.Style.POLLS``). Telegram draws the
poll, its votes and, once it closes, the correct answer and the explanation;
the bot only sends it and stops it at the question's deadline. Every valid
quiz fits a poll (``limits``: the quiz format's limits are the poll's), so
nothing is cut here but the numbered question's prefix room.
"""

from __future__ import annotations

from quizbot.domain import limits
from quizbot.domain.callbacks import QuestionResultData
from quizbot.domain.formatting import clip
from quizbot.domain.language import ENGLISH, Translator
from quizbot.domain.quiz import Question


def poll_question(position: int, question_count: int, text: str) -> str:
    """The poll's question line: ``3/10. <question>``, within the 300 characters of a poll."""
    return clip(f"{position + 1}/{question_count}. {text}", limits.POLL_QUESTION_MAX)


def quiz_poll(
    session_id: int,
    position: int,
    question: Question,
    question_count: int,
    *,
    seconds: int | None = None,
    tr: Translator = ENGLISH,
) -> dict[str, object]:
    """sendPoll params: a non-anonymous quiz (so votes arrive as ``poll_answer``).

    ``open_period`` is the time limit, or ``seconds`` left for a late joiner.
    The game clock stops the poll at its deadline (:func:`poll_stop`), but
    Telegram's own timer may get there first, so "How did I do?" is on the
    poll from the start (until the question closes it answers "still open").
    """
    open_period = question.time_limit_s if seconds is None else seconds
    params: dict[str, object] = {
        "question": poll_question(position, question_count, question.text),
        "options": [{"text": option} for option in question.options],
        "type": "quiz",
        "is_anonymous": False,
        "correct_option_ids": sorted(question.correct),
        "open_period": max(limits.TIME_LIMIT_MIN, min(limits.TIME_LIMIT_MAX, open_period)),
        "reply_markup": _how_did_i_do(session_id, position, tr),
    }
    if question.explanation:
        params["explanation"] = clip(question.explanation, limits.EXPLANATION_MAX)
    return params


def poll_stop(session_id: int, position: int, tr: Translator = ENGLISH) -> dict[str, object]:
    """stopPoll params: the poll closes and shows the answer, "How did I do?" still under it."""
    return {"reply_markup": _how_did_i_do(session_id, position, tr)}


def _how_did_i_do(session_id: int, position: int, tr: Translator) -> dict[str, object]:
    button = {
        "text": tr.gettext("🔎 How did I do?"),
        "callback_data": QuestionResultData(session_id, position).encode(),
    }
    return {"inline_keyboard": [[button]]}
