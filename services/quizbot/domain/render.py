"""In-game messages as Bot API parameters, always within Telegram's limits.

Params never carry `chat_id` or `message_id`: the effect's audience and
`edit_ref` supply them (see `effects`). Texts use parse_mode HTML with all
user content escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from urllib.parse import quote

from quizbot.domain import limits
from quizbot.domain.callbacks import (
    AnswerData,
    CloseEarlyData,
    JoinData,
    QuestionResultData,
    StartData,
)
from quizbot.domain.formatting import HTML, clip, escape
from quizbot.domain.language import DEFAULT, ENGLISH, N_, Translator, code, count
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.replies import deep_link
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
    AnswerOutcome.ACCEPTED: N_("✅ Answer locked in"),
    AnswerOutcome.LATE: N_("⏰ Too late — this question is closed"),
    AnswerOutcome.DUPLICATE: N_("You already answered this one"),
    AnswerOutcome.STALE: N_("This question is no longer open"),
    AnswerOutcome.FORGED: N_("This question is no longer open"),
}


def answer_toast(outcome: AnswerOutcome, tr: Translator = ENGLISH) -> str:
    """The answerCallbackQuery text for a button press (≤ 200 characters)."""
    return tr.gettext(_TOASTS[outcome])


def join_toast(quiz_title: str, tr: Translator = ENGLISH) -> str:
    """The answerCallbackQuery text for an accepted Join press (plain text)."""
    text = tr.gettext("🙌 You're in: {title}").format(title=quiz_title)
    return clip(text, limits.CALLBACK_ANSWER_TEXT_MAX)


def question_message(
    session_id: int,
    position: int,
    question: Question,
    question_count: int,
    quiz_title: str,
    *,
    seconds_left: int | None = None,
    order: Sequence[int] | None = None,
    tr: Translator = ENGLISH,
) -> dict[str, object]:
    """sendMessage params for an open question with one button per option.

    Short options go on the buttons, one per row; if any option is long,
    the text lists them as A, B, C… and the buttons show the letters.
    `order` is the order to show the options in (`quiz.option_order`); each
    button carries its option's index as written.
    """
    shown = [(i, question.options[i]) for i in (order or range(len(question.options)))]
    short = all(len(option) <= BUTTON_TEXT_COMFORT for option in question.options)
    # The answer's toast is written on the hot path without a lookup: the button
    # carries the message's language (English needs no suffix).
    language = None if code(tr) == DEFAULT else code(tr)
    lines = [_header(quiz_title, position, question_count, tr), f"<b>{escape(question.text)}</b>"]
    if not short:
        lines.append("")
        lines += [f"{LETTERS[j]}. {escape(option)}" for j, (_, option) in enumerate(shown)]
    timer = tr.gettext("⏱ {seconds} s to answer").format(seconds=question.time_limit_s)
    if seconds_left is not None:
        timer = tr.gettext("⏱ {seconds} s left").format(seconds=seconds_left)
    lines += ["", timer]
    buttons: list[dict[str, object]] = [
        {
            "text": option if short else LETTERS[j],
            "callback_data": AnswerData(session_id, position, i, language).encode(),
        }
        for j, (i, option) in enumerate(shown)
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
    order: Sequence[int] | None = None,
    tr: Translator = ENGLISH,
) -> str:
    """The closed question: every option, the correct ones marked ✅, the explanation.

    `stats` is counted by the store when the question closes (see `events`);
    without it the text has no statistics line. A solo player sees their
    own result instead of a percentage.
    """
    lines = [
        _header(quiz_title, position, question_count, tr),
        f"<b>{escape(question.text)}</b>",
        "",
    ]
    lines += [
        f"{'✅' if question.is_correct(i) else '▫️'} {LETTERS[j]}. {escape(question.options[i])}"
        for j, i in enumerate(order or range(len(question.options)))
    ]
    if question.explanation:
        lines += ["", f"💡 {escape(question.explanation)}"]
    summary = _stats_line(stats, solo, tr)
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
    order: Sequence[int] | None = None,
    tr: Translator = ENGLISH,
) -> dict[str, object]:
    """editMessageText params that close a question message and replace its buttons.

    With `session_id` (live modes) the one button left is "How did I do?",
    answered by a toast; a solo reveal already says how the player did.
    """
    text = reveal_text(
        question, position, question_count, quiz_title, stats, solo=solo, order=order, tr=tr
    )
    if session_id is None or solo:
        return _message(text, NO_KEYBOARD)
    button = {
        "text": tr.gettext("🔎 How did I do?"),
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
    tr: Translator = ENGLISH,
) -> dict[str, object]:
    """sendMessage params for a live quiz's lobby: Join and (host-only) Start buttons.

    In PRIVATE mode it also carries the `join-<session>` deep link to share; in
    GROUP mode the host's close-early option (`close_early` is its value).
    """
    seconds = sorted({q.time_limit_s for q in quiz.questions})
    timing = f"{seconds[0]}" if len(seconds) == 1 else f"{seconds[0]}–{seconds[-1]}"
    lines = [_live_title(quiz.title, tr)]
    if quiz.description:
        lines.append(escape(quiz.description))
    questions = count(tr, "{count} question", "{count} questions", len(quiz.questions))
    each = tr.gettext("{questions} · {seconds} s each").format(questions=questions, seconds=timing)
    lines += ["", each, ""]
    keyboard: list[list[dict[str, object]]] = [
        [{"text": tr.gettext("🙋 Join"), "callback_data": JoinData(session_id).encode()}],
    ]
    if mode is Mode.PRIVATE:
        link = deep_link(bot_username, f"{limits.JOIN_PAYLOAD_PREFIX}{session_id}")
        invite = tr.gettext("Players join from their own chat with me through this link:")
        lines += [invite, link, ""]
        keyboard.append([_invite_button(link, quiz.title, tr)])
    else:
        lines += [tr.gettext("Press 🙋 Join to play, or just answer the first question."), ""]
        lines += [_close_early_line(close_early, tr), ""]
        keyboard.append([_close_early_button(session_id, close_early, tr)])
    lines.append(tr.gettext("The host starts the game with ▶️ Start."))
    start: dict[str, object] = {
        "text": tr.gettext("▶️ Start"),
        "callback_data": StartData(session_id).encode(),
    }
    keyboard.append([start])
    return _message("\n".join(lines), {"inline_keyboard": keyboard})


def close_early_toast(on: bool, tr: Translator = ENGLISH) -> str:
    """The toast for the host's close-early option in a group lobby."""
    return _close_early_line(on, tr)


def _close_early_line(on: bool, tr: Translator) -> str:
    if on:
        return tr.gettext("⚡ A question closes as soon as every joined player has answered.")
    return tr.gettext("⏱ Each question stays open its full time, so anyone can still answer.")


def _close_early_button(session_id: int, on: bool, tr: Translator) -> dict[str, object]:
    if on:
        text = tr.gettext("⏱ Keep questions open full time")
    else:
        text = tr.gettext("⚡ Close when all joined answered")
    return {"text": text, "callback_data": CloseEarlyData(session_id, not on).encode()}


def _live_title(quiz_title: str, tr: Translator) -> str:
    return tr.gettext("🎲 {title} — live quiz").format(title=f"<b>{escape(quiz_title)}</b>")


def lobby_started_message(
    mode: Mode, quiz_title: str, players: int, tr: Translator = ENGLISH
) -> dict[str, object]:
    """editMessageText params for the lobby once the host started the game."""
    lines = [
        _live_title(quiz_title, tr),
        "",
        count(
            tr,
            "▶️ Started with {count} player. Good luck!",
            "▶️ Started with {count} players. Good luck!",
            players,
        ),
    ]
    if mode is Mode.PRIVATE:
        lines.append(tr.gettext("Latecomers can still join with the invite link."))
    return _message("\n".join(lines), NO_KEYBOARD)


def lobby_closed_message(
    quiz_title: str, reason: Status, tr: Translator = ENGLISH
) -> dict[str, object]:
    """editMessageText params for a lobby that ended before the game started."""
    why = tr.gettext("⌛ Nobody started it, so this lobby closed.")
    if reason is Status.STOPPED:
        why = tr.gettext("🛑 Cancelled by the host.")
    return _message(f"🎲 <b>{escape(quiz_title)}</b>\n\n{why}", NO_KEYBOARD)


def welcome_message(quiz_title: str, status: Status, tr: Translator = ENGLISH) -> dict[str, object]:
    """sendMessage params for a player who joined a PRIVATE-mode quiz, in their own chat."""
    title = f"<b>{escape(quiz_title)}</b>"
    text = tr.gettext("🙌 You're in: {title} is already running — jump right in!")
    if status is Status.LOBBY:
        text = tr.gettext(
            "🙌 You're in: {title}!\nThe first question arrives here when the host starts."
        )
    return {"text": text.format(title=title), "parse_mode": HTML}


def _header(quiz_title: str, position: int, question_count: int, tr: Translator) -> str:
    header = tr.gettext("{title} · Question {number} of {total}")
    return header.format(
        title=f"<i>{escape(quiz_title)}</i>", number=position + 1, total=question_count
    )


def _stats_line(stats: QuestionStats | None, solo: bool, tr: Translator) -> str | None:
    if stats is None:
        return None
    if solo:
        if stats.answered == 0:
            return tr.gettext("⏰ Time's up!")
        return tr.gettext("🎉 Correct!") if stats.correct else tr.gettext("❌ Not quite.")
    if stats.answered == 0:
        return tr.gettext("📊 Nobody answered this one.")
    share = (200 * stats.correct + stats.answered) // (2 * stats.answered)  # rounded half up
    line = tr.gettext("📊 {share}% answered correctly ({correct} of {answered})")
    return line.format(share=share, correct=stats.correct, answered=stats.answered)


def _invite_button(link: str, quiz_title: str, tr: Translator) -> dict[str, object]:
    text = quote(tr.gettext("Join my quiz: {title}").format(title=quiz_title), safe="")
    return {
        "text": tr.gettext("📨 Invite friends"),
        "url": f"https://t.me/share/url?url={quote(link, safe='')}&text={text}",
    }


def _message(text: str, keyboard: dict[str, object]) -> dict[str, object]:
    return {"text": text, "parse_mode": HTML, "reply_markup": keyboard}
