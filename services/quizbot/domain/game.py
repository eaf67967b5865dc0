"""The session state machine: state + event -> new state + effects.

Pure: the caller passes `now` (timezone-aware) and the quiz, and turns the
effects into outbox rows in the same transaction that stores the new state.

    SOLO:          QUESTION ⇄ REVEAL → FINISHED
    GROUP/PRIVATE: LOBBY → QUESTION ⇄ REVEAL → FINISHED
    any non-terminal state → STOPPED (host) | ABANDONED (inactivity)

A question closes at its deadline, or early once everyone has answered; the
reveal pause then opens the next question or finishes. Refused events leave
the state as it was and carry a reason fit for a toast or reply.

Decisions worth knowing:
- Joining late is allowed in both live modes until the session ends. A late
  PRIVATE joiner gets the open question at once, with the seconds left.
- An unstarted lobby is abandoned at its deadline (`lobby_timeout_s`).
- At the end of a reveal, a session without a join, start or answer for
  `abandon_after_s` is abandoned rather than played on to nobody.
- Only the host starts or stops; a solo player is their own host.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from quizbot.domain import polls, render
from quizbot.domain.effects import (
    AnyEffect,
    Audience,
    Chat,
    Effect,
    Finish,
    Participants,
    lobby_ref,
    question_ref,
)
from quizbot.domain.events import (
    Abandon,
    AnswerRecorded,
    Deadline,
    Event,
    EveryoneAnswered,
    Join,
    SetCloseEarly,
    Start,
    Stop,
)
from quizbot.domain.formatting import HTML
from quizbot.domain.language import ENGLISH, Translator
from quizbot.domain.quiz import Quiz, option_order
from quizbot.domain.results import results_keyboard
from quizbot.domain.scoring import ScoringRules
from quizbot.domain.session import Mode, QuestionStats, SessionState, Status, Style


@dataclass(frozen=True, slots=True)
class GameRules:
    """Timings and thresholds of a session, from settings."""

    reveal_pause_s: int = 3
    solo_reveal_pause_s: int = 1
    lobby_timeout_s: int = 600  # a lobby nobody starts is abandoned
    abandon_after_s: int = 900  # no join, start or answer for this long
    min_players: int = 1
    scoring: ScoringRules = field(default_factory=ScoringRules)
    # The sender's global rate: in PRIVATE mode a question or reveal is one
    # message per participant, so reaching everyone takes participants / rate.
    broadcast_rate_per_s: float = 30.0

    def broadcast_s(self, state: SessionState) -> float:
        """Seconds the sender needs to reach every reachable participant of a PRIVATE session.

        Participants who blocked the bot get no messages, so they take no time.
        """
        if state.mode is not Mode.PRIVATE or self.broadcast_rate_per_s <= 0:
            return 0.0
        reached = (
            state.participant_count if state.reachable_count is None else state.reachable_count
        )
        return reached / self.broadcast_rate_per_s


@dataclass(frozen=True, slots=True)
class Transition:
    """The outcome of an event: the new state and the effects to carry out."""

    state: SessionState
    effects: tuple[AnyEffect, ...] = ()
    accepted: bool = True
    reason: str | None = None  # why an event was refused


def new_solo(
    session_id: int,
    player_id: int,
    chat_id: int,
    quiz: Quiz,
    now: datetime,
    rules: GameRules,
    tr: Translator = ENGLISH,
) -> Transition:
    """A solo session, created straight into its first question."""
    _check_now(now)
    state = _new_state(session_id, Mode.SOLO, quiz, chat_id, player_id, now)
    state = replace(state, participant_count=1)
    return _open(state, 0, quiz, now, rules, tr)


def new_live(
    session_id: int,
    mode: Mode,
    host_id: int,
    chat_id: int,
    quiz: Quiz,
    now: datetime,
    rules: GameRules,
    bot_username: str,
    style: Style = Style.BUTTONS,
    tr: Translator = ENGLISH,
) -> Transition:
    """A live session's lobby, posted to `chat_id` (the group, or the host's private chat)."""
    _check_now(now)
    if mode is Mode.SOLO:
        raise ValueError("use new_solo for a solo session")
    state = replace(_new_state(session_id, mode, quiz, chat_id, host_id, now), style=style)
    state = replace(state, deadline=now + timedelta(seconds=rules.lobby_timeout_s))
    lobby = render.lobby_message(session_id, mode, quiz, bot_username, tr=tr)
    return Transition(
        state, (Effect("sendMessage", lobby, Chat(chat_id), ref=lobby_ref(session_id)),)
    )


def step(
    state: SessionState,
    event: Event,
    now: datetime,
    rules: GameRules,
    quiz: Quiz,
    tr: Translator = ENGLISH,
) -> Transition:
    """Apply one event to a session; `tr` renders its messages and refusals."""
    _check_now(now)
    if len(quiz.questions) != state.question_count:
        raise ValueError("the quiz does not match the session")
    if state.status.terminal:
        return _refuse(state, tr.gettext("This quiz is over"))
    match event:
        case Join():
            return _join(state, event, now, quiz, tr)
        case Start():
            return _start(state, event, now, rules, quiz, tr)
        case SetCloseEarly():
            return _set_close_early(state, event, quiz, tr)
        case AnswerRecorded():
            if state.status is not Status.QUESTION:
                return _refuse(state, tr.gettext("This question is no longer open"))
            if event.count <= state.answered_count:
                return Transition(state)
            return Transition(replace(state, answered_count=event.count, last_activity_at=now))
        case Deadline():
            if state.deadline is None or state.deadline > now:
                return _refuse(state, tr.gettext("Not time yet"))
            return _deadline(state, event.stats, now, rules, quiz, tr)
        case EveryoneAnswered():
            answered = max(state.answered_count, event.stats.answered if event.stats else 0)
            if state.status is not Status.QUESTION:
                return _refuse(state, tr.gettext("No question is open"))
            if not closes_early(state):
                return _refuse(state, tr.gettext("Group questions stay open their full time"))
            if state.participant_count == 0 or answered < state.participant_count:
                return _refuse(state, tr.gettext("Not everyone has answered yet"))
            return _close(state, event.stats, now, rules, quiz, tr)
        case Stop():
            if event.by_player_id != state.host_id and not event.by_admin:
                if state.mode is Mode.GROUP:
                    return _refuse(
                        state, tr.gettext("Only the host or a group admin can stop this quiz")
                    )
                return _refuse(state, tr.gettext("Only the host can stop this quiz"))
            return _end(state, Status.STOPPED, event.stats, quiz, tr)
        case Abandon():
            if now - state.last_activity_at < timedelta(seconds=rules.abandon_after_s):
                return _refuse(state, tr.gettext("This quiz is still active"))
            return _end(state, Status.ABANDONED, event.stats, quiz, tr)


def closes_early(state: SessionState) -> bool:
    """Whether a question closes once every participant has answered it.

    Solo and private live games: yes, their participants are known. A group:
    anyone may answer, and answering joins, so closing when the players counted
    so far have answered would refuse a member about to answer for the first
    time. It closes early only when its host chose so in the lobby.
    """
    return state.mode is not Mode.GROUP or state.close_when_all_answered


def results_effects(
    state: SessionState,
    text: str,
    *,
    host_is_participant: bool,
    personal: Sequence[tuple[int, str]] = (),
    slug: str | None = None,
    tr: Translator = ENGLISH,
    personal_tr: Mapping[int, Translator] | None = None,
) -> tuple[Effect, ...]:
    """Where the results of a finished session go, each with a 📊 My result button.

    SOLO and GROUP: the leaderboard `text` (`results.leaderboard_text`) to the
    session's chat. PRIVATE: to each participant's chat its own text from
    `personal` (chat id, `results.personal_result_text`), and the leaderboard
    to the host's chat unless the host played. With the quiz's `slug` each
    also carries a share button. `tr` words the buttons, `personal_tr` (by
    chat id) those under a personal message.
    """
    keyboard = results_keyboard(state.session_id, slug, tr)
    params: dict[str, object] = {"text": text, "parse_mode": HTML, "reply_markup": keyboard}
    if state.mode is not Mode.PRIVATE:
        return (Effect("sendMessage", params, Chat(state.chat_id)),)
    languages = personal_tr or {}
    effects = [
        Effect(
            "sendMessage",
            {
                "text": own,
                "parse_mode": HTML,
                "reply_markup": results_keyboard(
                    state.session_id, slug, languages.get(chat_id, tr)
                ),
            },
            Chat(chat_id),
        )
        for chat_id, own in personal
    ]
    if not host_is_participant:
        effects.append(Effect("sendMessage", params, Chat(state.chat_id)))
    return tuple(effects)


def _join(
    state: SessionState, event: Join, now: datetime, quiz: Quiz, tr: Translator
) -> Transition:
    # Late joining is allowed in both live modes: in a group anyone can press
    # an answer button anyway, and a friend who opens an invite link after
    # the start expects to play the remaining questions, not a refusal.
    if state.mode is Mode.SOLO:
        return _refuse(state, tr.gettext("This is a solo game"))
    joined = replace(state, participant_count=state.participant_count + 1, last_activity_at=now)
    if state.mode is Mode.GROUP:
        return Transition(joined)
    chat = Chat(event.chat_id)
    welcome = render.welcome_message(state.quiz_title, state.status, tr)
    effects = [Effect("sendMessage", welcome, chat)]
    if state.status is Status.QUESTION and state.deadline is not None and state.deadline > now:
        seconds_left = math.ceil((state.deadline - now).total_seconds())
        method, params = _question(state, state.position, quiz, seconds_left, tr)
        # The same ref as the broadcast, so the reveal edit reaches this chat too.
        effects.append(
            Effect(method, params, chat, ref=question_ref(state.session_id, state.position))
        )
    return Transition(joined, tuple(effects))


def _set_close_early(
    state: SessionState, event: SetCloseEarly, quiz: Quiz, tr: Translator
) -> Transition:
    if state.mode is not Mode.GROUP:
        return _refuse(state, tr.gettext("Only group games have this option"))
    if state.status is not Status.LOBBY:
        return _refuse(state, tr.gettext("This quiz has already started"))
    if event.by_player_id != state.host_id:
        return _refuse(state, tr.gettext("Only the host can change this"))
    chosen = replace(state, close_when_all_answered=event.on)
    if event.on == state.close_when_all_answered:
        return Transition(chosen)
    # A GROUP lobby has no invite link, so it needs no bot username.
    lobby = render.lobby_message(
        state.session_id, state.mode, quiz, "", close_early=event.on, tr=tr
    )
    edit = Effect(
        "editMessageText", lobby, Chat(state.chat_id), edit_ref=lobby_ref(state.session_id)
    )
    return Transition(chosen, (edit,))


def _start(
    state: SessionState, event: Start, now: datetime, rules: GameRules, quiz: Quiz, tr: Translator
) -> Transition:
    if state.status is not Status.LOBBY:
        return _refuse(state, tr.gettext("This quiz has already started"))
    if event.by_player_id != state.host_id:
        return _refuse(state, tr.gettext("Only the host can start this quiz"))
    if state.participant_count < rules.min_players:
        if state.participant_count == 0:
            return _refuse(state, tr.gettext("Nobody has joined yet — press 🙋 Join first"))
        waiting = tr.gettext("Waiting for {needed} players ({joined} joined)")
        return _refuse(
            state, waiting.format(needed=rules.min_players, joined=state.participant_count)
        )
    started = render.lobby_started_message(
        state.mode, state.quiz_title, state.participant_count, tr
    )
    edit = Effect(
        "editMessageText", started, Chat(state.chat_id), edit_ref=lobby_ref(state.session_id)
    )
    opened = _open(replace(state, last_activity_at=now), 0, quiz, now, rules, tr)
    return replace(opened, effects=(edit, *opened.effects))


def _deadline(
    state: SessionState,
    stats: QuestionStats | None,
    now: datetime,
    rules: GameRules,
    quiz: Quiz,
    tr: Translator,
) -> Transition:
    if state.status is Status.LOBBY:
        return _end(state, Status.ABANDONED, None, quiz, tr)
    if state.status is Status.QUESTION:
        return _close(state, stats, now, rules, quiz, tr)
    # REVEAL: the pause is over. A session nobody has touched for a long time
    # ends here, so the clock does not play the rest of the quiz to nobody.
    if now - state.last_activity_at >= timedelta(seconds=rules.abandon_after_s):
        return _end(state, Status.ABANDONED, None, quiz, tr)
    if state.position + 1 < state.question_count:
        return _open(state, state.position + 1, quiz, now, rules, tr)
    return _end(state, Status.FINISHED, None, quiz, tr)


def _open(
    state: SessionState, position: int, quiz: Quiz, now: datetime, rules: GameRules, tr: Translator
) -> Transition:
    question = quiz.questions[position]
    method, params = _question(state, position, quiz, tr=tr)
    effect = Effect(method, params, _audience(state), ref=question_ref(state.session_id, position))
    opened = replace(
        state,
        status=Status.QUESTION,
        position=position,
        # The last participant of a broadcast gets the question broadcast_s later;
        # the deadline moves with it so everyone has the full time limit.
        deadline=now + timedelta(seconds=question.time_limit_s + rules.broadcast_s(state)),
        answered_count=0,
    )
    return Transition(opened, (effect,))


def _close(
    state: SessionState,
    stats: QuestionStats | None,
    now: datetime,
    rules: GameRules,
    quiz: Quiz,
    tr: Translator,
) -> Transition:
    pause: float = rules.solo_reveal_pause_s if state.mode is Mode.SOLO else rules.reveal_pause_s
    # The next question waits until every participant has the reveal; otherwise
    # the two broadcasts share the rate limit and the question reaches its last
    # player later than the rate-limit floor.
    pause = max(pause, rules.broadcast_s(state))
    closed = replace(state, status=Status.REVEAL, deadline=now + timedelta(seconds=pause))
    return Transition(closed, (_reveal(state, stats, quiz, tr),))


def _question(
    state: SessionState,
    position: int,
    quiz: Quiz,
    seconds_left: int | None = None,
    tr: Translator = ENGLISH,
) -> tuple[str, dict[str, object]]:
    """The Bot API call that asks question `position` in the session's style."""
    question = quiz.questions[position]
    if state.style is Style.POLLS:
        return "sendPoll", polls.quiz_poll(
            state.session_id, position, question, state.question_count, seconds=seconds_left, tr=tr
        )
    params = render.question_message(
        state.session_id,
        position,
        question,
        state.question_count,
        state.quiz_title,
        seconds_left=seconds_left,
        order=_order(state, position, quiz),
        tr=tr,
    )
    return "sendMessage", params


def _reveal(state: SessionState, stats: QuestionStats | None, quiz: Quiz, tr: Translator) -> Effect:
    ref = question_ref(state.session_id, state.position)
    if state.style is Style.POLLS:
        # Telegram shows a stopped quiz poll's answer, explanation and counts itself.
        stop = polls.poll_stop(state.session_id, state.position, tr)
        return Effect("stopPoll", stop, _audience(state), edit_ref=ref)
    params = render.reveal_message(
        quiz.questions[state.position],
        state.position,
        state.question_count,
        state.quiz_title,
        stats,
        solo=state.mode is Mode.SOLO,
        session_id=state.session_id,
        order=_order(state, state.position, quiz),
        tr=tr,
    )
    return Effect("editMessageText", params, _audience(state), edit_ref=ref)


def _order(state: SessionState, position: int, quiz: Quiz) -> tuple[int, ...]:
    # Only buttons are shuffled: a poll_answer names the option by its place in the poll.
    options = len(quiz.questions[position].options)
    return option_order(state.session_id, position, options, quiz.shuffle)


def _end(
    state: SessionState, reason: Status, stats: QuestionStats | None, quiz: Quiz, tr: Translator
) -> Transition:
    effects: list[AnyEffect] = []
    if state.status is Status.LOBBY:
        closed = render.lobby_closed_message(state.quiz_title, reason, tr)
        effects.append(
            Effect(
                "editMessageText", closed, Chat(state.chat_id), edit_ref=lobby_ref(state.session_id)
            )
        )
    elif state.status is Status.QUESTION:
        effects.append(_reveal(state, stats, quiz, tr))
    effects.append(Finish(reason))
    return Transition(replace(state, status=reason, deadline=None), tuple(effects))


def _new_state(
    session_id: int, mode: Mode, quiz: Quiz, chat_id: int, host_id: int, now: datetime
) -> SessionState:
    return SessionState(
        session_id=session_id,
        mode=mode,
        status=Status.LOBBY,
        quiz_title=quiz.title,
        question_count=len(quiz.questions),
        position=-1,
        deadline=None,
        chat_id=chat_id,
        host_id=host_id,
        participant_count=0,
        answered_count=0,
        last_activity_at=now,
    )


def _audience(state: SessionState) -> Audience:
    return Participants() if state.mode is Mode.PRIVATE else Chat(state.chat_id)


def _refuse(state: SessionState, reason: str) -> Transition:
    return Transition(state, (), accepted=False, reason=reason)


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
