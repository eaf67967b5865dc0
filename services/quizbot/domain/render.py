"""In-game messages as Bot API parameters, always within Telegram's limits.

Params never carry `chat_id` or `message_id`: the effect's audience and
`edit_ref` supply them (see `effects`). Texts use parse_mode HTML with all
user content escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from urllib.parse import quote

from quizbot.domain import limits
from quizbot.domain.callbacks import (
    AnotherQuizData,
    AnswerData,
    CloseEarlyData,
    JoinData,
    PlayAgainData,
    QuestionResultData,
    ResultData,
    StartData,
)
from quizbot.domain.formatting import HTML, badge, clip, display_name, escape, fit, plural
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.replies import deep_link
from quizbot.domain.scoring import Ranked
from quizbot.domain.session import Mode, QuestionStats, Status

LETTERS = "ABCDEFGHIJKL"
BUTTON_TEXT_COMFORT = 32  # longer options are listed in the text, buttons show letters
NO_KEYBOARD: dict[str, object] = {"inline_keyboard": []}
assert len(LETTERS) == limits.OPTIONS_MAX


class AnswerOutcome(StrEnum):
    """What happened to a button press, as the web tier decided it."""

    ACCEPTED = "accepted"
    LATE = "late"
    DUPLICATE = "duplicate"
    STALE = "stale"  # a button of a question that is no longer open
    FORGED = "forged"  # callback_data we never produced


_TOASTS = {
    AnswerOutcome.ACCEPTED: "✅ Answer locked in",
    AnswerOutcome.LATE: "⏰ Too late — this question is closed",
    AnswerOutcome.DUPLICATE: "You already answered this one",
    AnswerOutcome.STALE: "This question is no longer open",
    AnswerOutcome.FORGED: "This question is no longer open",
}


def answer_toast(outcome: AnswerOutcome) -> str:
    """The answerCallbackQuery text for a button press (≤ 200 characters)."""
    return _TOASTS[outcome]


def join_toast(quiz_title: str) -> str:
    """The answerCallbackQuery text for an accepted Join press (plain text)."""
    return clip(f"🙌 You're in: {quiz_title}", limits.CALLBACK_ANSWER_TEXT_MAX)


def question_message(
    session_id: int,
    position: int,
    question: Question,
    question_count: int,
    quiz_title: str,
    *,
    seconds_left: int | None = None,
) -> dict[str, object]:
    """sendMessage params for an open question with one button per option.

    Short options go on the buttons, one per row; if any option is long,
    the text lists them as A, B, C… and the buttons show the letters.
    """
    short = all(len(option) <= BUTTON_TEXT_COMFORT for option in question.options)
    lines = [_header(quiz_title, position, question_count), f"<b>{escape(question.text)}</b>"]
    if not short:
        lines.append("")
        lines += [f"{LETTERS[i]}. {escape(option)}" for i, option in enumerate(question.options)]
    timer = f"⏱ {question.time_limit_s} s to answer"
    if seconds_left is not None:
        timer = f"⏱ {seconds_left} s left"
    lines += ["", timer]
    buttons: list[dict[str, object]] = [
        {
            "text": option if short else LETTERS[i],
            "callback_data": AnswerData(session_id, position, i).encode(),
        }
        for i, option in enumerate(question.options)
    ]
    per_row = 1 if short else 4
    keyboard = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return _message("\n".join(lines), {"inline_keyboard": keyboard})


def reveal_text(
    question: Question,
    position: int,
    question_count: int,
    quiz_title: str,
    stats: QuestionStats | None = None,
    *,
    solo: bool = False,
) -> str:
    """The closed question: every option, the correct ones marked ✅, the explanation.

    `stats` is counted by the store when the question closes (see `events`);
    without it the text has no statistics line. A solo player sees their
    own result instead of a percentage.
    """
    lines = [_header(quiz_title, position, question_count), f"<b>{escape(question.text)}</b>", ""]
    lines += [
        f"{'✅' if question.is_correct(i) else '▫️'} {LETTERS[i]}. {escape(option)}"
        for i, option in enumerate(question.options)
    ]
    if question.explanation:
        lines += ["", f"💡 {escape(question.explanation)}"]
    summary = _stats_line(stats, solo)
    if summary:
        lines += ["", summary]
    return "\n".join(lines)


def reveal_message(
    question: Question,
    position: int,
    question_count: int,
    quiz_title: str,
    stats: QuestionStats | None = None,
    *,
    solo: bool = False,
    session_id: int | None = None,
) -> dict[str, object]:
    """editMessageText params that close a question message and replace its buttons.

    With `session_id` (live modes) the one button left is "How did I do?",
    answered by a toast; a solo reveal already says how the player did.
    """
    text = reveal_text(question, position, question_count, quiz_title, stats, solo=solo)
    if session_id is None or solo:
        return _message(text, NO_KEYBOARD)
    button = {
        "text": "🔎 How did I do?",
        "callback_data": QuestionResultData(session_id, position).encode(),
    }
    return _message(text, {"inline_keyboard": [[button]]})


def lobby_message(
    session_id: int,
    mode: Mode,
    quiz: Quiz,
    bot_username: str,
    *,
    close_early: bool = False,
) -> dict[str, object]:
    """sendMessage params for a live quiz's lobby: Join and (host-only) Start buttons.

    In PRIVATE mode it also carries the `join-<session>` deep link to share; in
    GROUP mode the host's close-early option (`close_early` is its value).
    """
    seconds = sorted({q.time_limit_s for q in quiz.questions})
    timing = f"{seconds[0]} s" if len(seconds) == 1 else f"{seconds[0]}–{seconds[-1]} s"
    lines = [f"🎲 <b>{escape(quiz.title)}</b> — live quiz"]
    if quiz.description:
        lines.append(escape(quiz.description))
    lines += ["", f"{plural(len(quiz.questions), 'question')} · {timing} each", ""]
    keyboard: list[list[dict[str, object]]] = [
        [{"text": "🙋 Join", "callback_data": JoinData(session_id).encode()}],
    ]
    if mode is Mode.PRIVATE:
        link = deep_link(bot_username, f"{limits.JOIN_PAYLOAD_PREFIX}{session_id}")
        lines += ["Players join from their own chat with me through this link:", link, ""]
        keyboard.append([_invite_button(link, quiz.title)])
    else:
        lines += ["Press 🙋 Join to play, or just answer the first question.", ""]
        lines += [_close_early_line(close_early), ""]
        keyboard.append([_close_early_button(session_id, close_early)])
    lines.append("The host starts the game with ▶️ Start.")
    keyboard.append([{"text": "▶️ Start", "callback_data": StartData(session_id).encode()}])
    return _message("\n".join(lines), {"inline_keyboard": keyboard})


def close_early_toast(on: bool) -> str:
    """The toast for the host's close-early option in a group lobby."""
    return _close_early_line(on)


def _close_early_line(on: bool) -> str:
    if on:
        return "⚡ A question closes as soon as every joined player has answered."
    return "⏱ Each question stays open its full time, so anyone can still answer."


def _close_early_button(session_id: int, on: bool) -> dict[str, object]:
    text = "⏱ Keep questions open full time" if on else "⚡ Close when all joined answered"
    return {"text": text, "callback_data": CloseEarlyData(session_id, not on).encode()}


def lobby_started_message(mode: Mode, quiz_title: str, players: int) -> dict[str, object]:
    """editMessageText params for the lobby once the host started the game."""
    lines = [
        f"🎲 <b>{escape(quiz_title)}</b> — live quiz",
        "",
        f"▶️ Started with {plural(players, 'player')}. Good luck!",
    ]
    if mode is Mode.PRIVATE:
        lines.append("Latecomers can still join with the invite link.")
    return _message("\n".join(lines), NO_KEYBOARD)


def lobby_closed_message(quiz_title: str, reason: Status) -> dict[str, object]:
    """editMessageText params for a lobby that ended before the game started."""
    why = "⌛ Nobody started it, so this lobby closed."
    if reason is Status.STOPPED:
        why = "🛑 Cancelled by the host."
    return _message(f"🎲 <b>{escape(quiz_title)}</b>\n\n{why}", NO_KEYBOARD)


def welcome_message(quiz_title: str, status: Status) -> dict[str, object]:
    """sendMessage params for a player who joined a PRIVATE-mode quiz, in their own chat."""
    text = f"🙌 You're in: <b>{escape(quiz_title)}</b> is already running — jump right in!"
    if status is Status.LOBBY:
        text = (
            f"🙌 You're in: <b>{escape(quiz_title)}</b>!\n"
            "The first question arrives here when the host starts."
        )
    return {"text": text, "parse_mode": HTML}


def leaderboard_text(
    title: str,
    ranked: Sequence[Ranked],
    names: Mapping[int, str],
    total_players: int,
    *,
    question_count: int | None = None,
    reason: Status = Status.FINISHED,
    top: int = 10,
) -> str:
    """The results: the top `top` players, then "… and K more" for the rest."""
    head = "\n".join([_results_heading(title, reason), f"👥 {plural(total_players, 'player')}", ""])
    if not ranked:
        return f"{head}\nNobody scored this time. Play again?"
    items = [_board_line(row, names, question_count) for row in ranked[:top]]
    return fit(head, items, max(total_players, len(ranked)))


def personal_result_text(
    title: str,
    mine: Ranked | None,
    podium: Sequence[Ranked],
    names: Mapping[int, str],
    total_players: int,
    *,
    question_count: int,
    reason: Status = Status.FINISHED,
) -> str:
    """A PRIVATE-mode player's own results: their score and rank, then the top 3.

    One short message per player instead of the whole board to everyone.
    """
    lines = [_results_heading(title, reason), f"👥 {plural(total_players, 'player')}", ""]
    if mine is None:
        lines.append("You did not play this one.")
    else:
        lines.append(
            f"You: {badge(mine.rank)} rank {mine.rank:,} of {total_players:,} · "
            f"<b>{mine.score:,}</b> pts · {mine.correct}/{question_count} ✓"
        )
    lines.append("")
    lines += [_board_line(row, names, question_count) for row in podium[:3]]
    return "\n".join(lines)


def results_keyboard(session_id: int, slug: str | None = None) -> dict[str, object]:
    """The buttons under a session's results: 📊 My result (a toast), what to play next, share.

    With the quiz's `slug`, a 📨 Share button posts the quiz's card into any chat.
    """
    mine: dict[str, object] = {
        "text": "📊 My result",
        "callback_data": ResultData(session_id).encode(),
    }
    again: dict[str, object] = {
        "text": "🔁 Play again",
        "callback_data": PlayAgainData(session_id).encode(),
    }
    another: dict[str, object] = {
        "text": "📚 Another quiz",
        "callback_data": AnotherQuizData().encode(),
    }
    rows: list[list[dict[str, object]]] = [[mine], [again, another]]
    if slug is not None:
        rows.append([{"text": "📨 Share", "switch_inline_query": slug}])
    return {"inline_keyboard": rows}


def my_result_toast(mine: Ranked | None, total_players: int, question_count: int) -> str:
    """The toast for 📊 My result (≤ 200 characters), from the player's `results` row."""
    if mine is None:
        return "You did not play this quiz."
    return clip(
        f"📊 Your result: {mine.score:,} pts · {mine.correct} of {question_count} correct · "
        f"rank {mine.rank:,} of {total_players:,}",
        limits.CALLBACK_ANSWER_TEXT_MAX,
    )


def results_pending_toast() -> str:
    """The toast for 📊 My result while the session's results are not written yet."""
    return "⏳ The results are not in yet."


def question_result_toast(
    position: int,
    question: Question,
    option: int | None,
    points: int,
    elapsed_ms: int,
) -> str:
    """The toast for "How did I do?" on a reveal (≤ 200 characters).

    `option` is the player's first answer (None: no answer); `points` come from
    `scoring.points`, the rule the final results use.
    """
    head = f"Question {position + 1}:"
    if option is None:
        return f"{head} you did not answer this one."
    if question.is_correct(option):
        return f"{head} ✅ {LETTERS[option]} is right! +{points:,} pts in {elapsed_ms / 1000:.1f} s"
    right = ", ".join(LETTERS[i] for i in sorted(question.correct))
    return f"{head} ❌ you picked {LETTERS[option]}; the answer was {right}."


def _results_heading(title: str, reason: Status) -> str:
    headings = {
        Status.STOPPED: f"🛑 <b>{escape(title)}</b> — stopped by the host. Results so far:",
        Status.ABANDONED: f"⌛ <b>{escape(title)}</b> — ended for lack of activity. Results so far:",
    }
    return headings.get(reason, f"🏁 <b>{escape(title)}</b> — final results")


def _board_line(row: Ranked, names: Mapping[int, str], question_count: int | None) -> str:
    name = escape(display_name(names.get(row.player_id), row.player_id))
    correct = f"{row.correct}/{question_count}" if question_count else f"{row.correct}"
    seconds = row.total_time_ms / 1000
    return f"{badge(row.rank)} {name} — <b>{row.score:,}</b> pts · {correct} ✓ · {seconds:.1f} s"


def _header(quiz_title: str, position: int, question_count: int) -> str:
    return f"<i>{escape(quiz_title)}</i> · Question {position + 1} of {question_count}"


def _stats_line(stats: QuestionStats | None, solo: bool) -> str | None:
    if stats is None:
        return None
    if solo:
        if stats.answered == 0:
            return "⏰ Time's up!"
        return "🎉 Correct!" if stats.correct else "❌ Not quite."
    if stats.answered == 0:
        return "📊 Nobody answered this one."
    share = (200 * stats.correct + stats.answered) // (2 * stats.answered)  # rounded half up
    return f"📊 {share}% answered correctly ({stats.correct} of {stats.answered})"


def _invite_button(link: str, quiz_title: str) -> dict[str, object]:
    text = quote(f"Join my quiz: {quiz_title}", safe="")
    return {
        "text": "📨 Invite friends",
        "url": f"https://t.me/share/url?url={quote(link, safe='')}&text={text}",
    }


def _message(text: str, keyboard: dict[str, object]) -> dict[str, object]:
    return {"text": text, "parse_mode": HTML, "reply_markup": keyboard}
