"""The toasts that tell one player how they did: "📊 My result" and "How did I do?".

Both are answered in the webhook reply (answerCallbackQuery), which Telegram
does not count against the bot's flood limits, so a thousand presses cost no
outbox row and no Bot API call. They only read (from the replica while it is fresh): a Telegram retry is harmless.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from quizbot.domain import scoring
from quizbot.domain.language import N_, Translator
from quizbot.domain.quiz import Quiz
from quizbot.domain.results import my_result_toast, question_result_toast, results_pending_toast
from quizbot.store import personal
from quizbot.web.runtime import Runtime

UNKNOWN = N_("This quiz is no longer available.")
NOT_YET = N_("This question is still open.")


def my_result(rt: Runtime, session_id: int, player_id: int, tr: Translator) -> str:
    """The toast for 📊 My result: score, correct count and rank of N (blocking)."""
    # A read-only toast: the replica answers it while it is fresh; "not written
    # yet" may only be the replica's lag, so the primary confirms it.
    found = rt.reads.read(
        lambda conn: personal.session_result(conn, session_id, player_id),
        settled=lambda found: found is not None and found.written,
    )
    if found is None:
        return tr.gettext(UNKNOWN)
    if not found.written:
        return results_pending_toast(tr)
    return my_result_toast(found.mine, found.total_players, found.question_count, tr)


def question_result(
    rt: Runtime, session_id: int, position: int, player_id: int, tr: Translator
) -> str:
    """The toast for "How did I do?" on question ``position`` (blocking)."""
    found, quiz = rt.reads.read(
        lambda conn: _question_answer(rt, conn, session_id, position, player_id),
        settled=lambda pair: pair[0] is not None and pair[0].revealed,
    )
    if found is None or quiz is None or position >= len(quiz.questions):
        return tr.gettext(UNKNOWN)
    if not found.revealed:
        return tr.gettext(NOT_YET)
    question = quiz.questions[position]
    points = 0
    if found.option is not None:
        points = scoring.points(
            question.is_correct(found.option),
            found.elapsed_ms,
            question.time_limit_ms,
            rt.rules.scoring,
        )
    return question_result_toast(position, question, found.option, points, found.elapsed_ms, tr)


def _question_answer(
    rt: Runtime, conn: Connection, session_id: int, position: int, player_id: int
) -> tuple[personal.QuestionAnswer | None, Quiz | None]:
    found = personal.question_answer(conn, session_id, position, player_id)
    quiz = rt.quizzes.get(conn, found.quiz_id) if found is not None else None
    return found, quiz
