"""A session's results as players see them: the board, each one's own result, the
toasts of 📊 My result and "How did I do?", and the buttons under the results.

Texts are parse_mode HTML with all user content escaped, within Telegram's
limits, like every message of `render`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from quizbot.domain import limits
from quizbot.domain.callbacks import AnotherQuizData, PlayAgainData, ResultData
from quizbot.domain.formatting import badge, clip, display_name, escape, fit
from quizbot.domain.language import ENGLISH, N_, Translator, count
from quizbot.domain.quiz import Question
from quizbot.domain.render import LETTERS
from quizbot.domain.scoring import Ranked
from quizbot.domain.session import Status


def leaderboard_text(
    title: str,
    ranked: Sequence[Ranked],
    names: Mapping[int, str],
    total_players: int,
    *,
    question_count: int | None = None,
    reason: Status = Status.FINISHED,
    top: int = 10,
    tr: Translator = ENGLISH,
) -> str:
    """The results: the top `top` players, then "… and K more" for the rest."""
    head = "\n".join([_results_heading(title, reason, tr), _players_line(total_players, tr), ""])
    if not ranked:
        return f"{head}\n" + tr.gettext("Nobody scored this time. Play again?")
    items = [_board_line(row, names, question_count, tr) for row in ranked[:top]]
    return fit(head, items, max(total_players, len(ranked)), tr=tr)


def personal_result_text(
    title: str,
    mine: Ranked | None,
    podium: Sequence[Ranked],
    names: Mapping[int, str],
    total_players: int,
    *,
    question_count: int,
    reason: Status = Status.FINISHED,
    tr: Translator = ENGLISH,
) -> str:
    """A PRIVATE-mode player's own results: their score and rank, then the top 3.

    One short message per player instead of the whole board to everyone.
    """
    lines = [_results_heading(title, reason, tr), _players_line(total_players, tr), ""]
    if mine is None:
        lines.append(tr.gettext("You did not play this one."))
    else:
        you = tr.gettext(
            "You: {badge} rank {rank} of {total} · {score} pts · {correct}/{questions} ✓"
        )
        lines.append(
            you.format(
                badge=badge(mine.rank),
                rank=f"{mine.rank:,}",
                total=f"{total_players:,}",
                score=f"<b>{mine.score:,}</b>",
                correct=mine.correct,
                questions=question_count,
            )
        )
    lines.append("")
    lines += [_board_line(row, names, question_count, tr) for row in podium[:3]]
    return "\n".join(lines)


def results_keyboard(
    session_id: int, slug: str | None = None, tr: Translator = ENGLISH
) -> dict[str, object]:
    """The buttons under a session's results: 📊 My result (a toast), what to play next, share.

    With the quiz's `slug`, a 📨 Share button posts the quiz's card into any chat.
    """
    mine: dict[str, object] = {
        "text": tr.gettext("📊 My result"),
        "callback_data": ResultData(session_id).encode(),
    }
    again: dict[str, object] = {
        "text": tr.gettext("🔁 Play again"),
        "callback_data": PlayAgainData(session_id).encode(),
    }
    another: dict[str, object] = {
        "text": tr.gettext("📚 Another quiz"),
        "callback_data": AnotherQuizData().encode(),
    }
    rows: list[list[dict[str, object]]] = [[mine], [again, another]]
    if slug is not None:
        rows.append([{"text": tr.gettext("📨 Share"), "switch_inline_query": slug}])
    return {"inline_keyboard": rows}


def my_result_toast(
    mine: Ranked | None, total_players: int, question_count: int, tr: Translator = ENGLISH
) -> str:
    """The toast for 📊 My result (≤ 200 characters), from the player's `results` row."""
    if mine is None:
        return tr.gettext("You did not play this quiz.")
    text = tr.gettext(
        "📊 Your result: {score} pts · {correct} of {questions} correct · rank {rank} of {total}"
    ).format(
        score=f"{mine.score:,}",
        correct=mine.correct,
        questions=question_count,
        rank=f"{mine.rank:,}",
        total=f"{total_players:,}",
    )
    return clip(text, limits.CALLBACK_ANSWER_TEXT_MAX)


def results_pending_toast(tr: Translator = ENGLISH) -> str:
    """The toast for 📊 My result while the session's results are not written yet."""
    return tr.gettext("⏳ The results are not in yet.")


def question_result_toast(
    position: int,
    question: Question,
    option: int | None,
    points: int,
    elapsed_ms: int,
    tr: Translator = ENGLISH,
) -> str:
    """The toast for "How did I do?" on a reveal (≤ 200 characters).

    `option` is the player's first answer (None: no answer); `points` come from
    `scoring.points`, the rule the final results use.
    """
    number = position + 1
    if option is None:
        return tr.gettext("Question {number}: you did not answer this one.").format(number=number)
    if question.is_correct(option):
        right = tr.gettext("Question {number}: ✅ {letter} is right! +{points} pts in {seconds} s")
        return right.format(
            number=number,
            letter=LETTERS[option],
            points=f"{points:,}",
            seconds=f"{elapsed_ms / 1000:.1f}",
        )
    answer = ", ".join(LETTERS[i] for i in sorted(question.correct))
    wrong = tr.gettext("Question {number}: ❌ you picked {letter}; the answer was {answer}.")
    return wrong.format(number=number, letter=LETTERS[option], answer=answer)


def _results_heading(title: str, reason: Status, tr: Translator) -> str:
    headings = {
        Status.STOPPED: N_("🛑 {title} — stopped by the host. Results so far:"),
        Status.ABANDONED: N_("⌛ {title} — ended for lack of activity. Results so far:"),
    }
    heading = headings.get(reason, N_("🏁 {title} — final results"))
    return tr.gettext(heading).format(title=f"<b>{escape(title)}</b>")


def _players_line(total_players: int, tr: Translator) -> str:
    return "👥 " + count(tr, "{count} player", "{count} players", total_players)


def _board_line(
    row: Ranked, names: Mapping[int, str], question_count: int | None, tr: Translator
) -> str:
    name = escape(display_name(names.get(row.player_id), row.player_id, tr))
    correct = f"{row.correct}/{question_count}" if question_count else f"{row.correct}"
    line = tr.gettext("{badge} {name} — {score} pts · {correct} ✓ · {seconds} s")
    return line.format(
        badge=badge(row.rank),
        name=name,
        score=f"<b>{row.score:,}</b>",
        correct=correct,
        seconds=f"{row.total_time_ms / 1000:.1f}",
    )
