"""Replies to commands outside a game: /help, /quizzes, /me, /top.

They take plain rows that the store reads, and stay within Telegram's
text limit however many rows there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quizbot.domain import limits
from quizbot.domain.formatting import badge, display_name, escape, fit, plural


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


def deep_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`: opens the bot and sends `/start <payload>`."""
    return f"https://t.me/{bot_username}?start={payload}"


def group_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?startgroup=<payload>`: add the bot to a group, which sends `/start`."""
    return f"https://t.me/{bot_username}?startgroup={payload}"


def help_text(bot_username: str) -> str:
    """The /help and first /start message."""
    return "\n".join(
        [
            "👋 <b>Quiz time!</b>",
            "",
            "/quizzes — pick a quiz and tap Play to play it here, alone",
            "/play <code>slug</code> — play a quiz alone",
            "/live <code>slug</code> [<code>polls</code>] — host a live quiz (with quiz polls): "
            "in a group everyone plays there; "
            "here, friends join through a link",
            "/stop — stop the quiz you are playing or hosting",
            "/me — your stats",
            "/top — the best players",
            "",
            f"Add @{escape(bot_username)} to a group to quiz your friends live.",
        ]
    )


def quizzes_text(quizzes: Sequence[QuizListing], bot_username: str) -> str:
    """The /quizzes list, each with a Play deep link and an add-to-group link (`play-<slug>`)."""
    if not quizzes:
        return "No quizzes yet. Ask a host to import one!"
    items = []
    for quiz in quizzes:
        payload = limits.PLAY_PAYLOAD_PREFIX + quiz.slug
        link = deep_link(bot_username, payload)
        group = group_link(bot_username, payload)
        items.append(
            f"• <b>{escape(quiz.title)}</b> — {plural(quiz.question_count, 'question')} · "
            f'<a href="{escape(link)}">Play</a> · <a href="{escape(group)}">In a group</a>'
        )
    return fit("📚 <b>Quizzes</b>\n", items, len(items))


def me_text(name: str, stats: PlayerStats | None) -> str:
    """The /me stats."""
    if stats is None or stats.games == 0:
        return "You haven't finished a quiz yet. Try /quizzes!"
    accuracy = 100 * stats.correct // stats.answered if stats.answered else 0
    return "\n".join(
        [
            f"📈 <b>{escape(display_name(name, 0))}</b>",
            f"Games: {stats.games:,} · Wins: {stats.wins:,}",
            f"Points: {stats.total_score:,}",
            f"Correct: {stats.correct:,} of {stats.answered:,} ({accuracy}%)",
        ]
    )


def top_text(heading: str, rows: Sequence[TopRow], total: int | None = None) -> str:
    """A /top leaderboard; `total` counts every ranked row, passed or not."""
    if not rows:
        return f"🏆 <b>{escape(heading)}</b>\n\nNo scores yet."
    items = [
        f"{badge(row.rank)} {escape(display_name(row.name, 0))} — {row.score:,} pts" for row in rows
    ]
    return fit(f"🏆 <b>{escape(heading)}</b>\n", items, max(total or 0, len(items)))
