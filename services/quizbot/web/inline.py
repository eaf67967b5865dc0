"""Inline mode: ``@bot <words>`` in any chat offers matching quizzes as cards to post.

The answer is the webhook reply itself (``answerInlineQuery`` in the response
body, like the toasts), so the web tier still makes no Bot API call. It only
reads; a Telegram retry is harmless.
"""

from __future__ import annotations

from typing import Any

from quizbot.domain.ownership import Actor
from quizbot.domain.replies import QuizListing
from quizbot.domain.sharing import INLINE_RESULTS_MAX, inline_results
from quizbot.locales import translator
from quizbot.store.languages import player_language
from quizbot.store.quizzes import search_quizzes
from quizbot.web.runtime import Runtime
from quizbot.web.updates import InlineQuery

# Telegram may cache an answer for this long; quizzes change rarely.
CACHE_TIME_S = 60


def inline_answer(rt: Runtime, query: InlineQuery) -> dict[str, Any]:
    """The answerInlineQuery call for ``query``: up to 50 quiz cards (blocking).

    The cards speak the language of the player who types the query.
    """
    with rt.engine.connect() as conn:
        # A card is posted for anyone to play: public quizzes only.
        rows = search_quizzes(conn, query.query, INLINE_RESULTS_MAX, Actor())
        tr = translator(player_language(conn, query.user.id, query.user.language_code))
    quizzes = [QuizListing(row.slug, row.title, row.question_count) for row in rows]
    return {
        "method": "answerInlineQuery",
        "inline_query_id": query.query_id,
        "results": inline_results(quizzes, rt.bot_username, tr),
        "cache_time": CACHE_TIME_S,
    }
