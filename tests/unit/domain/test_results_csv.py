"""A game's results as CSV: what a spreadsheet reads back, and the buttons asking for it."""

import csv
import io
from datetime import UTC, datetime

from quizbot.domain.results_csv import (
    HEADER,
    RECENT,
    FinishedGame,
    ResultLine,
    file_name,
    games_keyboard,
    results_csv,
)

LINES = [
    ResultLine(1, 11, "Ann", "ann", 450, 3, 3, 12_345),
    ResultLine(2, 12, '=HYPERLINK("x")', None, 300, 2, 3, 20_000),
    ResultLine(2, 13, 'Bo, "the" best', "bo", 300, 2, 2, 7_050),
]


def test_the_file_reads_back_as_the_rows_in_rank_order() -> None:
    rows = list(csv.reader(io.StringIO(results_csv(LINES, questions=3), newline="")))

    assert tuple(rows[0]) == HEADER
    assert rows[1:] == [
        ["1", "Ann", "ann", "11", "450", "3", "3", "3", "12.3"],
        ["2", '\'=HYPERLINK("x")', "", "12", "300", "2", "3", "3", "20.0"],
        ["2", 'Bo, "the" best', "bo", "13", "300", "2", "2", "3", "7.0"],
    ]


def test_a_game_without_players_is_a_header_alone() -> None:
    assert results_csv([], questions=5) == ",".join(HEADER) + "\n"


def test_each_recent_game_gets_a_button_and_a_dated_file_name() -> None:
    games = [
        FinishedGame(100 + n, datetime(2026, 12, 1, 20, n, tzinfo=UTC), n + 1) for n in range(7)
    ]

    keyboard = games_keyboard(games)

    assert keyboard is not None
    rows = keyboard["inline_keyboard"]
    assert isinstance(rows, list) and len(rows) == RECENT
    assert rows[0] == [{"text": "⬇️ 2026-12-01 20:00 UTC · 1 player", "callback_data": "x:100"}]
    assert rows[1][0]["text"].endswith("2 players")
    assert file_name("capitals", games[3]) == "capitals-20261201-2003-103.csv"
    assert games_keyboard([]) is None
