"""One game transition: a locked session row in, its new state and outbox rows out.

The clock (``writer.clock``) claims a session row (a row lock) and hands it
here inside the same transaction. :func:`apply` picks the event the row calls
for, asks the pure rules (``domain.game.step``) what happens, stores the new
state and turns the effects into outbox rows, then notifies the sender. The
caller commits once: a transition and the messages it causes exist together or
not at all. A terminal transition also writes the results (``store.results``),
in that same commit.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain import game
from quizbot.domain.effects import AnyEffect, Effect, Finish
from quizbot.domain.events import Abandon, Deadline, Event, EveryoneAnswered, Start, Stop
from quizbot.domain.language import ENGLISH
from quizbot.domain.quiz import Quiz
from quizbot.domain.results import leaderboard_text, personal_result_text
from quizbot.domain.scoring import Ranked
from quizbot.domain.session import Mode, QuestionStats, SessionState, Status, Style
from quizbot.store import admins, outbox, quizzes, results
from quizbot.writer.languages import Speakers, speak
from quizbot.writer.sessions import SessionRow

log = logging.getLogger(__name__)

# The writer holds the row lock, so nothing else changes the row under it; the
# web tier's answer and join counters wait for the commit.
_PERSIST = sa.text(
    """
    UPDATE sessions
    SET status = CAST(:status AS session_status), position = :position, deadline = :deadline,
        participant_count = :participant_count, answered_count = :answered_count,
        last_activity_at = :last_activity_at, opened_at = :opened_at,
        time_limit_ms = :time_limit_ms, started_at = :started_at,
        pending_command = :pending_command, pending_by = :pending_by, transition_failures = 0
    WHERE id = :id
    """
)


class QuizCache:
    """Quizzes by id, loaded once per process: a played quiz never changes."""

    def __init__(self, max_size: int = 256) -> None:
        self._quizzes: dict[int, Quiz] = {}
        self._lock = threading.Lock()
        self._max_size = max_size

    def get(self, conn: Connection, quiz_id: int) -> Quiz:
        """The quiz ``quiz_id``, from memory or loaded through ``conn``."""
        with self._lock:
            cached = self._quizzes.get(quiz_id)
        if cached is not None:
            return cached
        quiz = quizzes.load_quiz(conn, quiz_id)
        with self._lock:
            if len(self._quizzes) >= self._max_size:
                self._quizzes.pop(next(iter(self._quizzes)))
            self._quizzes[quiz_id] = quiz
        return quiz


@dataclass(frozen=True)
class Applied:
    """What one transition did, for metrics, logs and tests."""

    session_id: int
    event: str  # the event's class name
    kind: str  # start, close, close_early, next, finished, stopped, abandoned, refused, ...
    accepted: bool
    reason: str | None
    deadline: datetime | None  # the deadline that made it due, for Deadline events
    outbox_rows: int
    finished: results.Finished | None = None
    finish_s: float | None = None


def natural_deadline(row: SessionRow, now: datetime, rules: game.GameRules) -> datetime | None:
    """The deadline the session would have without a pending request.

    The web tier may set ``deadline = now()`` to make a request due; if the
    request is refused, the session gets back the deadline its state implies.
    """
    if row.pending_command is None:
        return row.deadline
    if row.status == Status.LOBBY:
        return row.created_at + timedelta(seconds=rules.lobby_timeout_s)
    if row.status == Status.QUESTION and row.opened_at and row.time_limit_ms:
        return row.opened_at + timedelta(milliseconds=row.time_limit_ms)
    return max(row.deadline or now, now)


def to_state(
    row: SessionRow, quiz: Quiz, deadline: datetime | None, reachable: int | None = None
) -> SessionState:
    """The domain's view of a session row; ``reachable`` paces a PRIVATE broadcast."""
    return SessionState(
        session_id=row.id,
        mode=Mode(row.mode),
        status=Status(row.status),
        quiz_title=quiz.title,
        question_count=row.question_count,
        position=row.position,
        deadline=deadline,
        chat_id=row.chat_id,
        host_id=row.host_id,
        participant_count=row.participant_count,
        answered_count=row.answered_count,
        last_activity_at=row.last_activity_at,
        reachable_count=reachable,
        close_when_all_answered=row.close_when_all_answered,
        style=Style(row.style),
    )


def choose_event(
    row: SessionRow,
    state: SessionState,
    now: datetime,
    rules: game.GameRules,
    stats: QuestionStats | None = None,
    *,
    stopper_is_admin: bool = False,
) -> Event | None:
    """The event a claimed row calls for: a request first, then the clock, then idleness.

    ``stats`` is how the open question went (only asked for while one is open).
    """
    if row.pending_command == "stop":
        return Stop(by_player_id=row.pending_by or 0, stats=stats, by_admin=stopper_is_admin)
    if row.pending_command == "start":
        return Start(by_player_id=row.pending_by or 0)
    if (
        state.status is Status.QUESTION
        and game.closes_early(state)
        and state.participant_count > 0
        and state.answered_count >= state.participant_count
    ):
        return EveryoneAnswered(stats=stats)
    if state.deadline is not None and state.deadline <= now:
        return Deadline(stats=stats)
    if now - state.last_activity_at >= timedelta(seconds=rules.abandon_after_s):
        return Abandon(stats=stats)
    return None


def _kind(before: SessionState, transition: game.Transition, event: Event | None) -> str:
    after = transition.state
    if not transition.accepted:
        return "refused"
    if after.status.terminal:
        return after.status.value
    if before.status is Status.LOBBY and after.status is Status.QUESTION:
        return "start"
    if before.status is Status.QUESTION and after.status is Status.REVEAL:
        return "close_early" if isinstance(event, EveryoneAnswered) else "close"
    if before.status is Status.REVEAL and after.status is Status.QUESTION:
        return "next"
    return "noop"


def _persist(
    conn: Connection,
    row: SessionRow,
    before: SessionState,
    after: SessionState,
    quiz: Quiz,
    now: datetime,
) -> None:
    opened = after.status is Status.QUESTION and (
        before.status is not Status.QUESTION or after.position != before.position
    )
    conn.execute(
        _PERSIST,
        {
            "id": row.id,
            "status": after.status.value,
            "position": after.position,
            "deadline": after.deadline,
            "participant_count": after.participant_count,
            "answered_count": after.answered_count,
            "last_activity_at": after.last_activity_at,
            "opened_at": now if opened else row.opened_at,
            "time_limit_ms": (
                quiz.questions[after.position].time_limit_ms if opened else row.time_limit_ms
            ),
            "started_at": now if before.status is Status.LOBBY and opened else row.started_at,
            # a request is answered once, accepted or not
            "pending_command": None,
            "pending_by": None,
        },
    )


def apply(
    conn: Connection,
    row: SessionRow,
    now: datetime,
    rules: game.GameRules,
    quiz_cache: QuizCache,
    *,
    top_n: int = 10,
) -> Applied | None:
    """Apply the transition a claimed (locked) session row calls for, in ``conn``'s transaction.

    Returns ``None`` when the row calls for nothing (it changed before the claim).
    """
    quiz = quiz_cache.get(conn, row.quiz_id)
    # A PRIVATE broadcast is paced by the players it reaches: blocked chats get
    # no rows (store.outbox), so they must not stretch the deadlines either.
    reachable = outbox.reachable_participants(conn, row.id) if row.mode == Mode.PRIVATE else None
    before = to_state(row, quiz, natural_deadline(row, now, rules), reachable)
    stats = None
    if before.status is Status.QUESTION:
        stats = results.question_stats(conn, row.id, row.position)
    # A /stop from a group member who is not the host counts if the group's
    # cached admin list names them (the web tier filed it after checking that).
    stopper_is_admin = (
        row.pending_command == "stop"
        and before.mode is Mode.GROUP
        and row.pending_by is not None
        and row.pending_by != row.host_id
        and admins.is_admin(conn, row.chat_id, row.pending_by)
    )
    event = choose_event(row, before, now, rules, stats, stopper_is_admin=stopper_is_admin)
    if event is None:
        return None
    speakers = Speakers(conn, row.id, row.chat_id, before.mode)
    if isinstance(event, Start) and before.mode is Mode.SOLO and before.status is Status.LOBBY:
        # A solo game has no lobby message: it opens straight into its first question.
        opened = game.new_solo(row.id, row.host_id, row.chat_id, quiz, now, rules, speakers.chat)
        transition = replace(
            opened,
            state=replace(opened.state, participant_count=max(1, row.participant_count)),
        )
        effects: list[AnyEffect] = list(transition.effects)
    else:
        transition, effects = speak(
            speakers, lambda tr: game.step(before, event, now, rules, quiz, tr)
        )
    kind = _kind(before, transition, event)
    finish = next((e for e in effects if isinstance(e, Finish)), None)
    rows = outbox.enqueue_effects(conn, row.id, [e for e in effects if isinstance(e, Effect)])
    finished: results.Finished | None = None
    finish_s: float | None = None
    if finish is not None:
        started = time.perf_counter()
        finished = results.finish_session(
            conn, row.id, finish.reason, now, rules.scoring, top_n=top_n
        )
        if finished is not None and finished.played:
            mine = results.standings(conn, row.id) if before.mode is Mode.PRIVATE else []
            rows += outbox.enqueue_effects(
                conn,
                row.id,
                leaderboard_effects(transition.state, finished, quiz, top_n, mine, speakers),
            )
        finish_s = time.perf_counter() - started
    else:
        _persist(conn, row, before, transition.state, quiz, now)
    if not transition.accepted:
        log.info("session %s: %s refused: %s", row.id, type(event).__name__, transition.reason)
    if rows:
        outbox.notify(conn)
    return Applied(
        session_id=row.id,
        event=type(event).__name__,
        kind=kind,
        accepted=transition.accepted,
        reason=transition.reason,
        deadline=before.deadline if isinstance(event, Deadline) else None,
        outbox_rows=rows,
        finished=finished,
        finish_s=finish_s,
    )


def leaderboard_effects(
    state: SessionState,
    finished: results.Finished,
    quiz: Quiz,
    top_n: int,
    standings: list[tuple[int, Ranked]] | None = None,
    speakers: Speakers | None = None,
) -> list[Effect]:
    """The results messages of a finished session, addressed by the rules.

    ``standings`` (chat id, results row) makes a PRIVATE session's messages
    personal: each player's own rank and score, then the top 3, each in the
    player's language (``speakers``; English without).
    """
    question_count = len(quiz.questions)
    chat_tr = speakers.chat if speakers is not None else ENGLISH
    text = leaderboard_text(
        quiz.title,
        finished.top,
        finished.names,
        finished.total_players,
        question_count=question_count,
        reason=finished.reason,
        top=top_n,
        tr=chat_tr,
    )
    personal = [
        (
            chat_id,
            personal_result_text(
                quiz.title,
                mine,
                finished.top,
                finished.names,
                finished.total_players,
                question_count=question_count,
                reason=finished.reason,
                tr=speakers.player(mine.player_id) if speakers is not None else ENGLISH,
            ),
        )
        for chat_id, mine in standings or ()
    ]
    personal_tr = {
        chat_id: speakers.player(mine.player_id)
        for chat_id, mine in standings or ()
        if speakers is not None
    }
    effects = game.results_effects(
        state,
        text,
        host_is_participant=finished.host_played,
        personal=personal,
        slug=quiz.slug,
        tr=chat_tr,
        personal_tr=personal_tr,
    )
    return [e for e in effects if isinstance(e, Effect)]
