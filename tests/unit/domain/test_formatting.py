import pytest

from quizbot.domain.formatting import clip, display_name, escape, fit, utf16_len
from quizbot.domain.language import ENGLISH, count


@pytest.mark.parametrize(("text", "units"), [("", 0), ("abc", 3), ("é", 1), ("😀", 2), ("🙋‍♀️", 5)])
def test_utf16_len_counts_what_telegram_counts(text: str, units: int) -> None:
    assert utf16_len(text) == units


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ann", "Ann"),
        ("  Ann \n Lee ", "Ann Lee"),
        ("", "Player 7"),
        (None, "Player 7"),
        ("x" * 40, "x" * 31 + "…"),
    ],
)
def test_display_name(name: str | None, shown: str) -> None:
    assert display_name(name, 7) == shown


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 players"), (1, "1 player"), (1500, "1,500 players")]
)
def test_plural(n: int, text: str) -> None:
    assert count(ENGLISH, "{count} player", "{count} players", n) == text


def test_clip_and_escape() -> None:
    assert clip("abcdef", 4) == "abc…"
    assert clip("abc", 3) == "abc"
    assert escape('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (100, "head\none\ntwo\nthree"),
        (len("head\none\ntwo\n… and 1 more"), "head\none\ntwo\n… and 1 more"),
        (len("head\none\n… and 2 more"), "head\none\n… and 2 more"),
        (len("head\n… and 3 more"), "head\n… and 3 more"),
    ],
)
def test_fit_keeps_whole_lines_and_counts_the_rest(limit: int, expected: str) -> None:
    assert fit("head", ["one", "two", "three"], 3, limit) == expected


def test_fit_counts_items_the_caller_did_not_pass() -> None:
    assert fit("head", ["one"], 10) == "head\none\n… and 9 more"
