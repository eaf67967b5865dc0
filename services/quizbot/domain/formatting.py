"""Small text helpers shared by the renderers: escaping, clipping, fitting.

Messages use parse_mode HTML, so all user content (titles, questions,
names) goes through `escape`. Lengths are measured in UTF-16 code units,
which is never less than what Telegram counts against its limits.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from quizbot.domain import limits
from quizbot.domain.language import ENGLISH, Translator, count

HTML = "HTML"
NAME_MAX = 32
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def escape(text: str) -> str:
    """`text` made safe for parse_mode HTML."""
    return html.escape(text)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (an emoji counts 2), an upper bound of Telegram's count."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, max_len: int) -> str:
    """`text` cut to `max_len` characters, ending in "…" when cut."""
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def display_name(name: str | None, player_id: int, tr: Translator = ENGLISH) -> str:
    """A player's name on one line and at most NAME_MAX characters (not escaped)."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        cleaned = tr.gettext("Player {id}").format(id=player_id)
    return clip(cleaned, NAME_MAX)


def badge(rank: int) -> str:
    """🥇🥈🥉 for the podium, `4.` and so on below it."""
    return MEDALS.get(rank, f"{rank}.")


def fit(
    head: str,
    items: Sequence[str],
    total: int,
    limit: int = limits.TEXT_MAX,
    tr: Translator = ENGLISH,
) -> str:
    """`head`, then as many `items` (one per line) as fit in `limit`, then "… and K more".

    `total` counts every item that exists, including ones the caller did not pass.
    """
    reserve = utf16_len(more(total, tr))
    lines, size = [head], utf16_len(head)
    for item in items:
        if size + 1 + utf16_len(item) + 1 + reserve > limit:
            break
        lines.append(item)
        size += 1 + utf16_len(item)
    hidden = total - (len(lines) - 1)
    if hidden > 0:
        lines.append(more(hidden, tr))
    return "\n".join(lines)


def more(hidden: int, tr: Translator = ENGLISH) -> str:
    """The footer for items left out."""
    return count(tr, "… and {count} more", "… and {count} more", hidden)
