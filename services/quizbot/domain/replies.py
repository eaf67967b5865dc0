"""Replies to commands outside a game: /help, /quizzes, /me, /top.

They take plain rows that the store reads, and stay within Telegram's
text limit however many rows there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quizbot.domain import limits
from quizbot.domain.formatting import badge, display_name, escape, fit
from quizbot.domain.language import ENGLISH, Translator, count


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


def help_text(bot_username: str, tr: Translator = ENGLISH) -> str:
    """The /help and first /start message."""
    slug = "<code>slug</code>"
    return "\n".join(
        [
            tr.gettext("👋 <b>Quiz time!</b>"),
            "",
            "/quizzes — " + tr.gettext("pick a quiz and tap Play to play it here, alone"),
            f"/play {slug} — " + tr.gettext("play a quiz alone"),
            f"/live {slug} [<code>polls</code>] — "
            + tr.gettext(
                "host a live quiz (with quiz polls): in a group everyone plays there; "
                "here, friends join through a link"
            ),
            "/stop — " + tr.gettext("stop the quiz you are playing or hosting"),
            "/myquizzes — "
            + tr.gettext("your own quizzes; send me a quiz file (.txt, .yaml, .json) to add one"),
            f"/stats {slug} — "
            + tr.gettext("how a quiz of yours went: plays, scores, the hardest questions"),
            "/me — " + tr.gettext("your stats"),
            "/top — " + tr.gettext("the best players"),
            "/language — " + tr.gettext("change the language I speak"),
            "",
            tr.gettext("Add {bot} to a group to quiz your friends live.").format(
                bot=f"@{escape(bot_username)}"
            ),
        ]
    )


def quizzes_text(
    quizzes: Sequence[QuizListing], bot_username: str, tr: Translator = ENGLISH
) -> str:
    """The /quizzes list, each with a Play deep link and an add-to-group link (`play-<slug>`)."""
    if not quizzes:
        return tr.gettext("No quizzes yet. Ask a host to import one!")
    play, in_group = tr.gettext("Play"), tr.gettext("In a group")
    items = []
    for quiz in quizzes:
        payload = limits.PLAY_PAYLOAD_PREFIX + quiz.slug
        link = deep_link(bot_username, payload)
        group = group_link(bot_username, payload)
        questions = count(tr, "{count} question", "{count} questions", quiz.question_count)
        items.append(
            f"• <b>{escape(quiz.title)}</b> — {questions} · "
            f'<a href="{escape(link)}">{play}</a> · <a href="{escape(group)}">{in_group}</a>'
        )
    return fit(tr.gettext("📚 <b>Quizzes</b>") + "\n", items, len(items), tr=tr)


def me_text(name: str, stats: PlayerStats | None, tr: Translator = ENGLISH) -> str:
    """The /me stats."""
    if stats is None or stats.games == 0:
        return tr.gettext("You haven't finished a quiz yet. Try /quizzes!")
    accuracy = 100 * stats.correct // stats.answered if stats.answered else 0
    return "\n".join(
        [
            f"📈 <b>{escape(display_name(name, 0, tr))}</b>",
            tr.gettext("Games: {games} · Wins: {wins}").format(
                games=f"{stats.games:,}", wins=f"{stats.wins:,}"
            ),
            tr.gettext("Points: {points}").format(points=f"{stats.total_score:,}"),
            tr.gettext("Correct: {correct} of {answered} ({accuracy}%)").format(
                correct=f"{stats.correct:,}", answered=f"{stats.answered:,}", accuracy=accuracy
            ),
        ]
    )


def top_text(
    heading: str, rows: Sequence[TopRow], total: int | None = None, tr: Translator = ENGLISH
) -> str:
    """A /top leaderboard; `total` counts every ranked row, passed or not."""
    if not rows:
        return f"🏆 <b>{escape(heading)}</b>\n\n" + tr.gettext("No scores yet.")
    points = tr.gettext("{name} — {points} pts")
    items = [
        f"{badge(row.rank)} "
        + points.format(name=escape(display_name(row.name, 0, tr)), points=f"{row.score:,}")
        for row in rows
    ]
    return fit(f"🏆 <b>{escape(heading)}</b>\n", items, max(total or 0, len(items)), tr=tr)
