"""What became of one answer, and the toast the player sees for it.

The group insert tells accepted from refused; for a refused answer the store
reports the facts (:class:`AnswerFacts`) and :func:`classify` names the reason,
so the player learns whether they were late, had already answered, or pressed
a button of a question that is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache

from quizbot.domain.language import N_
from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.locales import for_code
from quizbot.store.answers import AnswerFacts, AnswerIn


class Verdict(StrEnum):
    """The fate of one answer; the values are the statsd counter names."""

    ACCEPTED = "accepted"
    LATE = "late"
    DUPLICATE = "duplicate"
    STALE = "stale"
    FORGED = "forged"
    NOT_JOINED = "not_joined"
    # A vote for a poll whose id is not recorded yet: kept, applied when it is.
    HELD = "held"
    # The database refused this answer on its own (a poison row, see
    # quizbot.web.salvage): no toast, and the 200 stops Telegram retrying it.
    REJECTED = "rejected"


NOT_JOINED_TOAST = N_("Join this quiz first to play along")

_OUTCOMES = {
    Verdict.ACCEPTED: AnswerOutcome.ACCEPTED,
    Verdict.LATE: AnswerOutcome.LATE,
    Verdict.DUPLICATE: AnswerOutcome.DUPLICATE,
    Verdict.STALE: AnswerOutcome.STALE,
    Verdict.FORGED: AnswerOutcome.FORGED,
    Verdict.HELD: AnswerOutcome.ACCEPTED,  # a poll vote: no toast is shown
}


@lru_cache(maxsize=64)
def toasts(language_code: str | None) -> Mapping[Verdict, str]:
    """Every verdict's toast in the language ``language_code`` (None: English).

    The hot path takes the language from the button (``AnswerData.language``,
    the question message's) with no database read, and finds its table here,
    built once per language and process.
    """
    tr = for_code(language_code)
    return {
        **{verdict: answer_toast(outcome, tr) for verdict, outcome in _OUTCOMES.items()},
        Verdict.NOT_JOINED: tr.gettext(NOT_JOINED_TOAST),
        Verdict.REJECTED: "",
    }


TOASTS = toasts(None)  # English

_LIVE = ("lobby", "question", "reveal")


def classify(answer: AnswerIn, facts: AnswerFacts) -> Verdict:
    """Why the group insert refused ``answer``, from the facts read right after it."""
    if facts.processed:
        # This very update was accepted before: a Telegram retry gets the same toast.
        return Verdict.ACCEPTED
    if not facts.session_known or facts.option_count is None:
        return Verdict.FORGED
    if answer.option >= facts.option_count:
        return Verdict.FORGED
    if facts.answered:
        return Verdict.DUPLICATE
    position = facts.session_position if facts.session_position is not None else -1
    if facts.status not in _LIVE or answer.position < position:
        return Verdict.STALE
    if answer.position > position:
        return Verdict.FORGED  # a button for a question not asked yet
    if facts.status == "reveal" or (facts.status == "question" and not facts.before_deadline):
        return Verdict.LATE
    if not facts.member and facts.mode != "group":
        return Verdict.NOT_JOINED
    # The question is open and nothing explains the refusal: the writer closed it
    # between the insert and this lookup, so the press came too late.
    return Verdict.LATE
