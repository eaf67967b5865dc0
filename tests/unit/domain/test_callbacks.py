from collections.abc import Callable

import pytest

from quizbot.domain import limits
from quizbot.domain.callbacks import (
    AnotherQuizData,
    AnswerData,
    CallbackData,
    CloseEarlyData,
    JoinData,
    LanguageData,
    MyQuizData,
    PlayAgainData,
    QuestionResultData,
    ResultData,
    ResultsData,
    StartData,
    decode_callback,
)

MAX_SESSION = 2**63 - 1


@pytest.mark.parametrize(
    ("data", "encoded"),
    [
        (AnswerData(1, 0, 0), "a:1:0:0"),
        (AnswerData(42, 7, 3), "a:42:7:3"),
        (AnswerData(MAX_SESSION, 99, 11), f"a:{MAX_SESSION}:99:11"),
        (AnswerData(0, 0, 0), "a:0:0:0"),
        (JoinData(42), "j:42"),
        (JoinData(MAX_SESSION), f"j:{MAX_SESSION}"),
        (StartData(42), "s:42"),
        (ResultData(42), "r:42"),
        (CloseEarlyData(42, True), "o:42:1"),
        (PlayAgainData(42), "p:42"),
        (AnotherQuizData(), "n"),
        (CloseEarlyData(42, False), "o:42:0"),
        (ResultData(MAX_SESSION), f"r:{MAX_SESSION}"),
        (QuestionResultData(42, 0), "h:42:0"),
        (QuestionResultData(MAX_SESSION, 99), f"h:{MAX_SESSION}:99"),
        (AnswerData(42, 1, 2, "ru"), "a:42:1:2:ru"),
        (AnswerData(42, 1, 2, "es"), "a:42:1:2:es"),
        (LanguageData("es"), "l:es"),
        (MyQuizData("s", 41), "m:s:41"),
        (ResultsData(42), "x:42"),
        (ResultsData(MAX_SESSION), f"x:{MAX_SESSION}"),
    ],
)
def test_encode_and_decode_round_trip(data: CallbackData, encoded: str) -> None:
    assert data.encode() == encoded
    assert decode_callback(encoded) == data


def test_the_longest_answer_fits_telegrams_64_bytes() -> None:
    longest = AnswerData(MAX_SESSION, limits.QUESTIONS_MAX - 1, limits.OPTIONS_MAX - 1).encode()

    assert len(longest.encode("utf-8")) == limits.ANSWER_CALLBACK_MAX_BYTES == 27
    assert len(longest.encode("utf-8")) <= limits.CALLBACK_DATA_MAX_BYTES


@pytest.mark.parametrize(
    "data",
    [
        "",
        "a",
        "a:",
        "a:1:2",
        "a:1:2:3:4",
        "a:1:2:",
        "a::2:3",
        "A:1:2:3",
        "b:1:2:3",
        " a:1:2:3",
        "a:1:2:3 ",
        "a:1:2:3\n",
        "a:+1:2:3",
        "a:-1:2:3",
        "a:01:2:3",
        "a:1:02:3",
        "a:1:2:03",
        "a:1.0:2:3",
        "a:1e3:2:3",
        "a:1_000:2:3",
        "a:١:2:3",  # Arabic-Indic digit one
        "a:１:2:3",  # fullwidth digit one
        "a:1:100:3",  # position beyond the 100 questions a quiz may have
        "a:1:2:12",  # option beyond the 12 a question may have
        f"a:{2**63}:2:3",  # session beyond bigint
        f"a:{'9' * 60}:2:3",
        "a:" + "1" * 100,
        "j:",
        "j:1:2",
        "j:01",
        "s:-5",
        "s:x",
        "start",
        "r:",
        "r:01",
        "o:1",
        "n:1",
        "N",
        "p:",
        "p:1:2",
        "o:1:2",
        "o:1:01",
        "r:1:2",
        "h:1",
        "h:1:100",
        "h:1:02",
        f"h:{2**63}:0",
        "a:1:2:3" + "\x00",
        "a:1:2:3:en",  # English is the absent suffix: one spelling per value
        "a:1:2:3:xx",  # no catalog
        "a:1:2:3:RU",
        "a:1:2:3:",
        "l:",
        "l:e",
        "l:russian",
        "x:",
        "x:01",
        f"x:{2**63}",
        "m:q:1",
    ],
)
def test_nonsense_decodes_to_none(data: str) -> None:
    assert decode_callback(data) is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: AnswerData(-1, 0, 0),
        lambda: AnswerData(2**63, 0, 0),
        lambda: AnswerData(1, limits.QUESTIONS_MAX, 0),
        lambda: AnswerData(1, 0, limits.OPTIONS_MAX),
        lambda: AnswerData(1, -1, 0),
        lambda: JoinData(-1),
        lambda: StartData(2**63),
        lambda: ResultData(-1),
        lambda: ResultsData(-1),
        lambda: QuestionResultData(1, limits.QUESTIONS_MAX),
    ],
)
def test_out_of_range_values_cannot_be_encoded(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="out of range"):
        make()
