"""How a quiz went, for its author: the figures and the /stats text.

Figures are aggregated over every play of the quiz, not only the last one:
- plays: sessions that asked at least their first question;
- players: different people who took part in them;
- completion: the share of participations (a player in a play) that answered
  the last question;
- average score: over every final result;
- per question: the share of its answers that were correct, the mean answer
  time, and the wrong option chosen most often (ties: the first written).
The store computes them (`store.statistics`); this module only shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from quizbot.domain import limits
from quizbot.domain.formatting import clip, escape, fit
from quizbot.domain.language import ENGLISH, Translator

QUESTION_CLIP = 48  # a question's text on its stats line


@dataclass(frozen=True, slots=True)
class QuestionFigures:
    """One question over every play. `top_wrong` is an option index (0-based) or None."""

    position: int
    text: str
    answers: int
    share_correct: float | None  # None: never answered
    mean_answer_s: float | None
    top_wrong: int | None
    top_wrong_text: str | None
    top_wrong_count: int


@dataclass(frozen=True, slots=True)
class QuizFigures:
    """A quiz over every play."""

    slug: str
    title: str
    plays: int
    players: int
    participations: int
    completed: int
    average_score: float | None  # None: no result yet
    questions: tuple[QuestionFigures, ...]

    @property
    def completion_rate(self) -> float | None:
        """The share of participations that answered the last question."""
        return self.completed / self.participations if self.participations else None


def stats_text(figures: QuizFigures, tr: Translator = ENGLISH) -> str:
    """The /stats reply (HTML), within Telegram's text limit however many questions."""
    head = [
        tr.gettext("📈 <b>{title}</b> · /play {slug}").format(
            title=escape(figures.title), slug=figures.slug
        ),
        tr.gettext("Plays: {plays} · Players: {players}").format(
            plays=figures.plays, players=figures.players
        ),
    ]
    if figures.plays == 0:
        head.append(tr.gettext("Nobody has played it yet."))
        return "\n".join(head)
    head.append(
        tr.gettext("Completed: {completion} · Average score: {score}").format(
            completion=_percent(figures.completion_rate),
            score="–" if figures.average_score is None else f"{figures.average_score:.0f}",
        )
    )
    items = [_question_line(q, tr) for q in figures.questions]
    return fit("\n".join(head) + "\n", items, len(items), limits.TEXT_MAX, tr)


def _question_line(q: QuestionFigures, tr: Translator) -> str:
    text = escape(clip(q.text, QUESTION_CLIP))
    if not q.answers:
        return tr.gettext("{number}. {text}: no answers").format(number=q.position + 1, text=text)
    line = tr.gettext("{number}. {text}: ✅ {correct} · ⏱ {seconds} s").format(
        number=q.position + 1,
        text=text,
        correct=_percent(q.share_correct),
        seconds=f"{q.mean_answer_s or 0:.1f}",
    )
    if q.top_wrong_text is not None:
        wrong = tr.gettext("most chosen wrong: {option} ({count})").format(
            option=escape(clip(q.top_wrong_text, QUESTION_CLIP)), count=q.top_wrong_count
        )
        line = f"{line} · {wrong}"
    return line


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"
