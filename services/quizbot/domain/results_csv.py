"""A finished game's results as a CSV file, for the quiz's author, and the buttons
that ask for one.

One row per player in rank order, with what the results table keeps: score,
right answers, answers given and the time they took. A spreadsheet runs a
cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
player's name is theirs to choose, so such a name is written after a ``'``
(the usual guard; the name reads the same). Pure: the caller passes the rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from quizbot.domain.callbacks import ResultsData
from quizbot.domain.language import ENGLISH, N_, Translator, count

HEADER = (
    "rank",
    "player",
    "username",
    "player_id",
    "score",
    "correct",
    "answered",
    "questions",
    "time_s",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RECENT = 5  # games offered under /stats, the latest first

EXPORTS_HEAD = N_("⬇️ The results of a game, as a CSV file:")
NO_RESULTS = N_("That game has no results, or it is not yours.")

Keyboard = dict[str, object]


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One player's final row in a game."""

    rank: int
    player_id: int
    first_name: str
    username: str | None
    score: int
    correct: int
    answered: int
    total_time_ms: int


@dataclass(frozen=True, slots=True)
class FinishedGame:
    """A game of the quiz whose results are written: what its button says."""

    session_id: int
    finished_at: datetime
    players: int


def results_csv(lines: Sequence[ResultLine], questions: int) -> str:
    """The CSV text (a header, then one row per player, as given: in rank order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for line in lines:
        writer.writerow(
            (
                line.rank,
                _cell(line.first_name),
                _cell(line.username or ""),
                line.player_id,
                line.score,
                line.correct,
                line.answered,
                questions,
                f"{line.total_time_ms / 1000:.1f}",
            )
        )
    return out.getvalue()


def file_name(slug: str, game: FinishedGame) -> str:
    """``<slug>-<yyyymmdd-hhmm>-<session>.csv``: sorts by date, names its game."""
    return f"{slug}-{game.finished_at:%Y%m%d-%H%M}-{game.session_id}.csv"


def games_keyboard(games: Sequence[FinishedGame], tr: Translator = ENGLISH) -> Keyboard | None:
    """A button per game (at most :data:`RECENT`), each sending that game's CSV."""
    if not games:
        return None
    rows = [
        [{"text": _label(game, tr), "callback_data": ResultsData(game.session_id).encode()}]
        for game in games[:RECENT]
    ]
    return {"inline_keyboard": rows}


def _label(game: FinishedGame, tr: Translator) -> str:
    players = count(tr, "{count} player", "{count} players", game.players)
    return f"⬇️ {game.finished_at:%Y-%m-%d %H:%M} UTC · {players}"


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
