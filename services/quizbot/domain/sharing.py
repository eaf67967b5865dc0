"""Sharing a quiz: the add-to-group link, the share button and inline mode's quiz cards.

- `https://t.me/<bot>?startgroup=play-<slug>` lets a player pick a group, adds
  the bot there and sends `/start@<bot> play-<slug>`, which opens a lobby.
- The share button under results (`results.results_keyboard`) lets a player
  pick any chat and types `@<bot> <slug>` there; inline mode answers with
  the quiz's card.
- A card carries Play (a solo game in the bot's chat) and Play in a group.
"""

from __future__ import annotations

from collections.abc import Sequence

from quizbot.domain import limits
from quizbot.domain.formatting import HTML, clip, escape
from quizbot.domain.language import ENGLISH, Translator, count
from quizbot.domain.replies import QuizListing, deep_link, group_link

INLINE_RESULTS_MAX = 50  # answerInlineQuery takes at most 50 results
INLINE_TITLE_MAX = 64


def play_payload(slug: str) -> str:
    """The deep-link payload that plays quiz `slug`."""
    return limits.PLAY_PAYLOAD_PREFIX + slug


def quiz_card_keyboard(slug: str, bot_username: str, tr: Translator = ENGLISH) -> dict[str, object]:
    """Play alone in the bot's chat, or add the bot to a group and play there."""
    payload = play_payload(slug)
    return {
        "inline_keyboard": [
            [{"text": tr.gettext("▶️ Play"), "url": deep_link(bot_username, payload)}],
            [{"text": tr.gettext("👥 Play in a group"), "url": group_link(bot_username, payload)}],
        ]
    }


def inline_results(
    quizzes: Sequence[QuizListing], bot_username: str, tr: Translator = ENGLISH
) -> list[dict[str, object]]:
    """answerInlineQuery results: one article per quiz, posting its card with Play buttons."""
    results: list[dict[str, object]] = []
    # Slugs are unique per owner, and a result id must be unique in an answer:
    # the first quiz of a slug stands for it, as its Play link finds one quiz.
    firsts = {quiz.slug: quiz for quiz in reversed(quizzes)}
    unique = [quiz for quiz in quizzes if firsts[quiz.slug] is quiz]
    for quiz in unique[:INLINE_RESULTS_MAX]:
        questions = count(tr, "{count} question", "{count} questions", quiz.question_count)
        card = f"🎲 <b>{escape(quiz.title)}</b>\n" + tr.gettext(
            "{questions} — who knows more? Tap ▶️ Play."
        ).format(questions=questions)
        results.append(
            {
                "type": "article",
                "id": quiz.slug,  # slugs are [a-z0-9-], at most 40 bytes: a valid result id
                "title": clip(quiz.title, INLINE_TITLE_MAX),
                "description": questions,
                "input_message_content": {"message_text": card, "parse_mode": HTML},
                "reply_markup": quiz_card_keyboard(quiz.slug, bot_username, tr),
            }
        )
    return results
