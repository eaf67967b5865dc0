"""Naming why an answer was refused, from the facts the store reports."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quizbot.store.answers import AnswerFacts, AnswerIn
from quizbot.web.verdicts import TOASTS, Verdict, classify

ANSWER = AnswerIn(update_id=1, session_id=9, position=2, option=1, player_id=5, received_at=0.0)
OPEN = AnswerFacts(
    index=0,
    processed=False,
    session_known=True,
    status="question",
    mode="group",
    session_position=2,
    before_deadline=True,
    option_count=4,
    answered=False,
    member=True,
)


@pytest.mark.parametrize(
    ("facts", "answer", "verdict"),
    [
        (replace(OPEN, processed=True, answered=True), ANSWER, Verdict.ACCEPTED),
        (
            replace(OPEN, session_known=False, status=None, option_count=None),
            ANSWER,
            Verdict.FORGED,
        ),
        (replace(OPEN, option_count=None), ANSWER, Verdict.FORGED),
        (OPEN, replace(ANSWER, option=4), Verdict.FORGED),
        (replace(OPEN, answered=True), ANSWER, Verdict.DUPLICATE),
        (replace(OPEN, answered=True, status="finished"), ANSWER, Verdict.DUPLICATE),
        (replace(OPEN, session_position=3), ANSWER, Verdict.STALE),
        (replace(OPEN, status="finished"), ANSWER, Verdict.STALE),
        (replace(OPEN, status="stopped"), ANSWER, Verdict.STALE),
        (replace(OPEN, session_position=1), ANSWER, Verdict.FORGED),
        (replace(OPEN, status="lobby", session_position=-1), ANSWER, Verdict.FORGED),
        (replace(OPEN, before_deadline=False), ANSWER, Verdict.LATE),
        (replace(OPEN, status="reveal"), ANSWER, Verdict.LATE),
        (replace(OPEN, mode="private", member=False), ANSWER, Verdict.NOT_JOINED),
        (replace(OPEN, mode="solo", member=False), ANSWER, Verdict.NOT_JOINED),
        (OPEN, ANSWER, Verdict.LATE),  # open and unexplained: the writer closed it meanwhile
    ],
)
def test_refused_answers_are_classified(
    facts: AnswerFacts, answer: AnswerIn, verdict: Verdict
) -> None:
    assert classify(answer, facts) is verdict


def test_every_verdict_has_a_toast_within_telegrams_limit() -> None:
    assert set(TOASTS) == set(Verdict)
    shown = {v: text for v, text in TOASTS.items() if v is not Verdict.REJECTED}
    assert all(0 < len(text) <= 200 for text in shown.values())


def test_an_answer_the_database_refused_gets_no_toast() -> None:
    assert TOASTS[Verdict.REJECTED] == ""
    assert TOASTS[Verdict.ACCEPTED] == "✅ Answer locked in"
