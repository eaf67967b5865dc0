"""Player-facing texts and Bot API parameters, always within Telegram's limits.

Messages use parse_mode HTML, so every piece of user content (titles,
questions, names) goes through `html.escape`. Lengths are measured in
UTF-16 code units, which is never less than what Telegram counts.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from quizbot.domain import limits
from quizbot.domain.callbacks import AnswerData, JoinData, StartData
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.scoring import Ranked
from quizbot.domain.session import Mode, QuestionStats, Status

HTML = "HTML"
LETTERS = "ABCDEFGHIJKL"
BUTTON_TEXT_COMFORT = 32  # longer options are listed in the text, buttons show letters
NAME_MAX = 32
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
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
    """The answerCallbackQuery text for an accepted Join press."""
    return _clip(f"🙌 You're in: {quiz_title}", limits.CALLBACK_ANSWER_TEXT_MAX)


def deep_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`: opens the bot and sends /start <payload>."""
    return f"https://t.me/{bot_username}?start={payload}"


def question_message(
    session_id: int,
    position: int,
    question: Question,
    question_count: int,
    quiz_title: str,
    *,
    seconds_left: int | None = None,
) -> dict[str, object]:
    """sendMessage params (no chat_id) for an open question with its answer buttons."""
    short = all(len(option) <= BUTTON_TEXT_COMFORT for option in question.options)
    lines = [_header(quiz_title, position, question_count), f"<b>{_e(question.text)}</b>"]
    if not short:
        lines.append("")
        lines += [f"{LETTERS[i]}. {_e(option)}" for i, option in enumerate(question.options)]
    timer = question.time_limit_s if seconds_left is None else seconds_left
    lines += ["", f"⏱ {timer} s to answer" if seconds_left is None else f"⏱ {timer} s left"]
    buttons = [
        {
            "text": option if short else LETTERS[i],
            "callback_data": AnswerData(session_id, position, i).encode(),
        }
        for i, option in enumerate(question.options)
    ]
    if short:
        keyboard = [[button] for button in buttons]
    else:
        per_row = 4 if len(buttons) > 4 else len(buttons)
        keyboard = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return {
        "text": "\n".join(lines),
        "parse_mode": HTML,
        "reply_markup": {"inline_keyboard": keyboard},
    }


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

    `stats` comes from the store when the question closes; without it the
    text simply has no statistics line.
    """
    lines = [_header(quiz_title, position, question_count), f"<b>{_e(question.text)}</b>", ""]
    lines += [
        f"{'✅' if question.is_correct(i) else '▫️'} {LETTERS[i]}. {_e(option)}"
        for i, option in enumerate(question.options)
    ]
    if question.explanation:
        lines += ["", f"💡 {_e(question.explanation)}"]
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
) -> dict[str, object]:
    """editMessageText params (no chat_id/message_id) that close a question message."""
    text = reveal_text(question, position, question_count, quiz_title, stats, solo=solo)
    return {"text": text, "parse_mode": HTML, "reply_markup": NO_KEYBOARD}


def lobby_message(session_id: int, mode: Mode, quiz: Quiz, bot_username: str) -> dict[str, object]:
    """sendMessage params for a live quiz's lobby: Join and (host-only) Start buttons."""
    limits_s = sorted({q.time_limit_s for q in quiz.questions})
    timing = f"{limits_s[0]} s" if len(limits_s) == 1 else f"{limits_s[0]}–{limits_s[-1]} s"
    lines = [f"🎲 <b>{_e(quiz.title)}</b> — live quiz"]
    if quiz.description:
        lines.append(_e(quiz.description))
    lines += ["", f"{_plural(len(quiz.questions), 'question')} · {timing} each", ""]
    keyboard: list[list[dict[str, object]]] = [
        [{"text": "🙋 Join", "callback_data": JoinData(session_id).encode()}],
    ]
    if mode is Mode.PRIVATE:
        link = deep_link(bot_username, f"{limits.JOIN_PAYLOAD_PREFIX}{session_id}")
        lines += ["Players join from their own chat with me through this link:", link, ""]
        keyboard.append([_invite_button(link, quiz.title)])
    else:
        lines += ["Press 🙋 Join to play.", ""]
    lines.append("The host starts the game with ▶️ Start.")
    keyboard.append([{"text": "▶️ Start", "callback_data": StartData(session_id).encode()}])
    return {
        "text": "\n".join(lines),
        "parse_mode": HTML,
        "reply_markup": {"inline_keyboard": keyboard},
    }


def lobby_started_message(mode: Mode, quiz_title: str, players: int) -> dict[str, object]:
    """editMessageText params for the lobby once the host started the game."""
    lines = [
        f"🎲 <b>{_e(quiz_title)}</b> — live quiz",
        "",
        f"▶️ Started with {_plural(players, 'player')}. Good luck!",
    ]
    if mode is Mode.PRIVATE:
        lines.append("Latecomers can still join with the invite link.")
    return {"text": "\n".join(lines), "parse_mode": HTML, "reply_markup": NO_KEYBOARD}


def lobby_closed_message(quiz_title: str, reason: Status) -> dict[str, object]:
    """editMessageText params for a lobby that ended before the game started."""
    why = (
        "🛑 Cancelled by the host."
        if reason is Status.STOPPED
        else "⌛ Nobody started it, so this lobby closed."
    )
    text = f"🎲 <b>{_e(quiz_title)}</b>\n\n{why}"
    return {"text": text, "parse_mode": HTML, "reply_markup": NO_KEYBOARD}


def welcome_text(quiz_title: str, status: Status) -> str:
    """The message a player gets in their own chat after joining a PRIVATE-mode quiz."""
    if status is Status.LOBBY:
        return (
            f"🙌 You're in: <b>{_e(quiz_title)}</b>!\n"
            "The first question arrives here when the host starts."
        )
    return f"🙌 You're in: <b>{_e(quiz_title)}</b> is already running — jump right in!"


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
    headings = {
        Status.STOPPED: f"🛑 <b>{_e(title)}</b> — stopped by the host. Results so far:",
        Status.ABANDONED: f"⌛ <b>{_e(title)}</b> — ended for lack of activity. Results so far:",
    }
    head = [
        headings.get(reason, f"🏁 <b>{_e(title)}</b> — final results"),
        f"👥 {_plural(total_players, 'player')}",
        "",
    ]
    if not ranked:
        return "\n".join([*head, "Nobody scored this time. Play again?"])
    items = []
    for row in ranked[:top]:
        name = _e(_name(names.get(row.player_id), row.player_id))
        badge = MEDALS.get(row.rank, f"{row.rank}.")
        correct = f"{row.correct}/{question_count}" if question_count else f"{row.correct}"
        seconds = row.total_time_ms / 1000
        items.append(f"{badge} {name} — <b>{row.score:,}</b> pts · {correct} ✓ · {seconds:.1f} s")
    return _fit("\n".join(head), items, max(total_players, len(ranked)))


@dataclass(frozen=True, slots=True)
class QuizListing:
    """A row of /quizzes."""

    slug: str
    title: str
    question_count: int


@dataclass(frozen=True, slots=True)
class PlayerStats:
    """A player's lifetime numbers for /me."""

    games: int
    wins: int
    total_score: int
    correct: int
    answered: int


@dataclass(frozen=True, slots=True)
class TopRow:
    """A row of /top."""

    rank: int
    name: str
    score: int


def help_text(bot_username: str) -> str:
    """The /help and first /start message."""
    return "\n".join(
        [
            "👋 <b>Quiz time!</b>",
            "",
            "/quizzes — pick a quiz; tap Play to play it here, alone",
            "/play <code>slug</code> — play a quiz alone",
            "/live <code>slug</code> — host a live quiz (in a group: everyone plays there; "
            "here: friends join through a link)",
            "/stop — stop the quiz you are playing or hosting",
            "/me — your stats",
            "/top — the best players",
            "",
            f"Add @{_e(bot_username)} to a group to quiz your friends live.",
        ]
    )


def quizzes_text(quizzes: Sequence[QuizListing], bot_username: str) -> str:
    """The /quizzes list, each with a Play deep link."""
    if not quizzes:
        return "No quizzes yet. Ask a host to import one!"
    items = [
        f"• <b>{_e(q.title)}</b> — {_plural(q.question_count, 'question')} · "
        f'<a href="{_e(deep_link(bot_username, limits.PLAY_PAYLOAD_PREFIX + q.slug))}">Play</a>'
        for q in quizzes
    ]
    return _fit("📚 <b>Quizzes</b>\n", items, len(items))


def me_text(name: str, stats: PlayerStats | None) -> str:
    """The /me stats."""
    if stats is None or stats.games == 0:
        return "You haven't finished a quiz yet. Try /quizzes!"
    accuracy = 100 * stats.correct // stats.answered if stats.answered else 0
    return "\n".join(
        [
            f"📈 <b>{_e(_name(name, 0))}</b>",
            f"Games: {stats.games:,} · Wins: {stats.wins:,}",
            f"Points: {stats.total_score:,}",
            f"Correct: {stats.correct:,} of {stats.answered:,} ({accuracy}%)",
        ]
    )


def top_text(heading: str, rows: Sequence[TopRow], total: int | None = None) -> str:
    """A /top leaderboard from plain rows."""
    if not rows:
        return f"🏆 <b>{_e(heading)}</b>\n\nNo scores yet."
    items = [
        f"{MEDALS.get(row.rank, f'{row.rank}.')} {_e(_name(row.name, 0))} — {row.score:,} pts"
        for row in rows
    ]
    return _fit(f"🏆 <b>{_e(heading)}</b>\n", items, max(total or 0, len(items)))


def _header(quiz_title: str, position: int, question_count: int) -> str:
    return f"<i>{_e(quiz_title)}</i> · Question {position + 1} of {question_count}"


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
    share = f"https://t.me/share/url?url={quote(link, safe='')}&text={text}"
    return {"text": "📨 Invite friends", "url": share}


def _fit(head: str, items: Sequence[str], total: int, limit: int = limits.TEXT_MAX) -> str:
    """`head` and as many `items` as fit in `limit`, then "… and K more"."""
    reserve = _units(_more(total))
    lines, size = [head], _units(head)
    for item in items:
        if size + 1 + _units(item) + 1 + reserve > limit:
            break
        lines.append(item)
        size += 1 + _units(item)
    hidden = total - (len(lines) - 1)
    if hidden > 0:
        lines.append(_more(hidden))
    return "\n".join(lines)


def _more(count: int) -> str:
    return f"… and {count:,} more"


def _name(name: str | None, player_id: int) -> str:
    cleaned = " ".join((name or "").split()) or f"Player {player_id}"
    return _clip(cleaned, NAME_MAX)


def _clip(text: str, max_len: int) -> str:
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _e(text: str) -> str:
    return html.escape(text)
