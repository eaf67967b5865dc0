"""The swarm's ground truth: every join and answer it sent, and what came back.

A run can then prove, against the database, that every acknowledged answer
was recorded exactly once, and measure what players felt: the time from
pressing a button to seeing its toast, and how long a question took to reach
everyone. Wall-clock times (``time.time()``) are kept so they line up with
the fake Bot API's delivery times and the database's timestamps; latencies
are measured on the monotonic clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from quizbot.sim.api.webhook import Sent
from quizbot.sim.scenario.report import percentile


@dataclass(slots=True)
class AnswerRecord:
    """A button press or poll vote on a question: who, which option, and its delivery."""

    player_id: int
    session_id: int
    position: int
    option: int
    intended_correct: bool | None  # None when the swarm had no answer key
    seen_at: float  # when the question reached this player (fake API's clock)
    sent: Sent
    # A vote in a quiz poll (a poll_answer update): Telegram shows no toast for
    # it, so only the 2xx says the bot took it.
    poll: bool = False


@dataclass(slots=True)
class JoinRecord:
    """A join: the lobby's Join button (``via="button"``) or the deep link (``"link"``)."""

    player_id: int
    via: str
    sent: Sent


@dataclass
class SwarmReport:
    """Everything one swarm run saw and did."""

    players: int
    mode: str
    quiz: str
    session_id: int | None = None
    joins: list[JoinRecord] = field(default_factory=list)
    answers: list[AnswerRecord] = field(default_factory=list)
    commands: list[Sent] = field(default_factory=list)
    start: Sent | None = None
    # position -> player id -> when that player first saw the question
    deliveries: dict[int, dict[int, float]] = field(default_factory=dict)
    missed: int = 0  # presses not made: the question closed while the player thought
    results_seen: int = 0  # chats the final leaderboard reached
    finished: bool = False
    timed_out: bool = False
    errors: list[str] = field(default_factory=list)
    max_in_flight: int = 0
    started_at: float = 0.0
    ended_at: float = 0.0

    @property
    def answers_sent(self) -> int:
        """Answer presses posted to the webhook."""
        return len(self.answers)

    @property
    def answers_acknowledged(self) -> int:
        """Answer presses the webhook answered with a 2xx."""
        return sum(1 for a in self.answers if a.sent.acknowledged)

    @property
    def ack_latencies_ms(self) -> list[float]:
        """Press-to-toast time of every acknowledged answer, in milliseconds."""
        return [a.sent.ack_ms for a in self.answers if a.sent.ack_ms is not None]

    @property
    def toasts(self) -> Counter[str]:
        """How many answer presses got each toast text."""
        return Counter(a.sent.toast for a in self.answers if a.sent.toast is not None)

    @property
    def retries(self) -> int:
        """Redeliveries of any update after a non-2xx or a connection error."""
        everything = [j.sent for j in self.joins] + [a.sent for a in self.answers] + self.commands
        if self.start is not None:
            everything.append(self.start)
        return sum(s.retries for s in everything)

    @property
    def questions_seen(self) -> list[int]:
        """Positions of the questions that reached at least one player."""
        return sorted(self.deliveries)

    def per_player(self) -> dict[int, list[AnswerRecord]]:
        """Each player's answers, in the order they pressed."""
        out: dict[int, list[AnswerRecord]] = {}
        for record in self.answers:
            out.setdefault(record.player_id, []).append(record)
        return out

    def saw(self, position: int, player_id: int, at: float) -> bool:
        """Note that ``player_id`` got question ``position`` at ``at``; False if seen before."""
        seen = self.deliveries.setdefault(position, {})
        if player_id in seen:
            return False
        seen[player_id] = at
        return True

    def delivery_makespan_s(self) -> dict[int, float]:
        """Per question: seconds from its first delivery to its last, across players."""
        return {p: max(t.values()) - min(t.values()) for p, t in sorted(self.deliveries.items())}

    def summary(self) -> dict[str, Any]:
        """The headline numbers (what ``quizbot sim players --json`` leads with)."""
        latencies = self.ack_latencies_ms
        makespans = self.delivery_makespan_s()
        return {
            "players": self.players,
            "mode": self.mode,
            "quiz": self.quiz,
            "session_id": self.session_id,
            "finished": self.finished,
            "timed_out": self.timed_out,
            "duration_s": round(self.ended_at - self.started_at, 3),
            "joins_sent": len(self.joins),
            "joins_acknowledged": sum(1 for j in self.joins if j.sent.acknowledged),
            "answers_sent": self.answers_sent,
            "answers_acknowledged": self.answers_acknowledged,
            "answers_missed": self.missed,
            "ack_p50_ms": percentile(latencies, 50),
            "ack_p99_ms": percentile(latencies, 99),
            "ack_max_ms": max(latencies, default=None),
            "toasts": dict(self.toasts),
            "retries": self.retries,
            "max_in_flight": self.max_in_flight,
            "questions_seen": self.questions_seen,
            "delivery_makespan_s": max(makespans.values(), default=None),
            "delivery_makespan_by_question_s": {str(p): s for p, s in makespans.items()},
            "results_seen": self.results_seen,
            "errors": self.errors[:50],
            "error_count": len(self.errors),
        }

    def to_json(self, details: bool = True) -> dict[str, Any]:
        """The summary and, with ``details``, the ground truth record by record."""
        out = self.summary()
        if details:
            out["start"] = asdict(self.start) if self.start else None
            out["joins"] = [asdict(j) for j in self.joins]
            out["answers"] = [asdict(a) for a in self.answers]
            out["deliveries"] = {
                str(p): {str(k): v for k, v in seen.items()} for p, seen in self.deliveries.items()
            }
        return out
