import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from quizbot.domain import limits
from quizbot.domain.effects import AnyEffect, Chat, Effect, Finish, Participants
from quizbot.domain.game import (
    Abandon,
    AnswerRecorded,
    Deadline,
    Event,
    EveryoneAnswered,
    GameRules,
    Join,
    SetCloseEarly,
    Start,
    Stop,
    Transition,
    closes_early,
    new_live,
    new_solo,
    results_effects,
    step,
)
from quizbot.domain.quiz import Question, Quiz
from quizbot.domain.results import results_keyboard
from quizbot.domain.session import Mode, QuestionStats, SessionState, Status, Style

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SID = 77
HOST = 1000
GROUP_CHAT = -100123
HOST_CHAT = 1000  # a private chat's id is the user's id
ALICE, BOB = 2001, 2002
RULES = GameRules()
QUIZ = Quiz(
    slug="trio",
    title="Trio <3",
    description="Three questions & a heart.",
    questions=(
        Question("Two plus two?", ("3", "4", "5"), frozenset({1}), "Basic sums.", 20),
        Question("Pick a prime", ("4", "6", "7", "9", "11"), frozenset({2, 4}), None, 10),
        Question(
            "Which option is long?",
            ("A rather long option that will certainly not fit on one button", "short"),
            frozenset({0}),
            "Because <it> is.",
            30,
        ),
    ),
)

# ---- checking effects against the Bot API spec ----------------------------

REPO = Path(__file__).parents[3]
SPEC = REPO / "services" / "quizbot" / "sim" / "api" / "spec" / "api.min.json"  # vendored, shipped
TELEGRAM_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
}
FILLED_BY_SENDER = {"chat_id", "message_id"}


@cache
def bot_api_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return spec


class TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.visible: list[str] = []

    def handle_data(self, data: str) -> None:
        self.visible.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_HTML_TAGS, f"Telegram does not support <{tag}>"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"unbalanced </{tag}>"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_fields(params: dict[str, Any], type_name: str, spec: dict[str, Any]) -> None:
    fields = {field["name"]: field for field in spec["types"][type_name]["fields"]}
    assert set(params) <= set(fields), f"unknown {type_name} fields {set(params) - set(fields)}"
    required = {name for name, field in fields.items() if field["required"]}
    assert required <= set(params), f"{type_name} misses {required - set(params)}"


def check_effect(effect: AnyEffect) -> None:
    """The effect is a Bot API call Telegram would accept, once the sender adds the chat."""
    if isinstance(effect, Finish):
        assert effect.reason.terminal
        return
    params: dict[str, Any] = effect.params
    assert not FILLED_BY_SENDER & set(params), "chat_id/message_id come from audience and edit_ref"
    if effect.method.startswith("edit"):
        assert effect.edit_ref is not None and effect.ref is None
    spec = bot_api_spec()
    assert effect.method in spec["methods"], f"no Bot API method {effect.method}"
    fields = {field["name"]: field for field in spec["methods"][effect.method]["fields"]}
    assert set(params) <= set(fields), f"unknown params {set(params) - set(fields)}"
    required = {name for name, field in fields.items() if field["required"]}
    assert required - FILLED_BY_SENDER <= set(params)
    if effect.method in {"sendMessage", "editMessageText"}:
        text = params["text"]
        if params.get("parse_mode") == "HTML":  # the limit counts the text after parsing
            checker = TagChecker()
            checker.feed(text)
            checker.close()
            assert checker.open == []
            text = "".join(checker.visible)
        assert 1 <= utf16_len(text) <= limits.TEXT_MAX
    markup = params.get("reply_markup")
    if markup is not None:
        check_fields(markup, "InlineKeyboardMarkup", spec)
        for row in markup["inline_keyboard"]:
            for button in row:
                check_fields(button, "InlineKeyboardButton", spec)
                assert len(set(button) & {"callback_data", "url"}) == 1
                if "callback_data" in button:
                    size = len(button["callback_data"].encode("utf-8"))
                    assert 1 <= size <= limits.CALLBACK_DATA_MAX_BYTES


def test_effects_are_checked_against_the_bot_api_spec() -> None:
    spec = bot_api_spec()
    assert {"sendMessage", "editMessageText"} <= set(spec["methods"])


@pytest.mark.parametrize(
    "effect",
    [
        Effect("sendMessage", {"text": "hi", "chat_id": 5}, Chat(5)),
        Effect("sendMessage", {"text": ""}, Chat(5)),
        Effect("sendMessage", {"text": "x" * 4097}, Chat(5)),
        Effect("sendMessage", {"text": "<div>hi</div>", "parse_mode": "HTML"}, Chat(5)),
        Effect("editMessageText", {"text": "hi"}, Chat(5)),
        Effect(
            "sendMessage",
            {
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            Chat(5),
        ),
    ],
)
def test_the_effect_checker_catches_invalid_calls(effect: Effect) -> None:
    with pytest.raises(AssertionError):
        check_effect(effect)


@pytest.mark.parametrize(
    "effect",
    [
        Effect("sendMesage", {"text": "hi"}, Chat(5)),
        Effect("sendMessage", {"text": "hi", "colour": "red"}, Chat(5)),
        Effect("sendMessage", {"parse_mode": "HTML"}, Chat(5)),
        Effect(
            "sendMessage",
            {
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"label": "A", "callback_data": "a"}]]},
            },
            Chat(5),
        ),
    ],
)
def test_the_effect_checker_uses_the_spec(effect: Effect) -> None:
    with pytest.raises((AssertionError, KeyError)):
        check_effect(effect)


# ---- a driver that plays a session and checks every transition ------------


class Game:
    def __init__(self, transition: Transition, rules: GameRules = RULES, quiz: Quiz = QUIZ) -> None:
        self.rules, self.quiz, self.now = rules, quiz, T0
        self.last = self._check(transition)
        self.state = transition.state

    @property
    def effects(self) -> tuple[AnyEffect, ...]:
        return self.last.effects

    def send(self, event: Event, after_s: float = 0) -> Transition:
        self.now += timedelta(seconds=after_s)
        before = self.state
        transition = self._check(step(self.state, event, self.now, self.rules, self.quiz))
        if not transition.accepted:
            assert transition.state == before
            assert transition.effects == ()
            assert transition.reason and len(transition.reason) <= limits.CALLBACK_ANSWER_TEXT_MAX
        self.last, self.state = transition, transition.state
        return transition

    def at_deadline(self, stats: QuestionStats | None = None) -> Transition:
        assert self.state.deadline is not None
        self.now = self.state.deadline
        return self.send(Deadline(stats))

    @staticmethod
    def _check(transition: Transition) -> Transition:
        for effect in transition.effects:
            check_effect(effect)
        return transition


def solo() -> Game:
    return Game(new_solo(SID, ALICE, ALICE, QUIZ, T0, RULES))


def live(mode: Mode, *players: int, rules: GameRules = RULES, style: Style = Style.BUTTONS) -> Game:
    chat = GROUP_CHAT if mode is Mode.GROUP else HOST_CHAT
    game = Game(new_live(SID, mode, HOST, chat, QUIZ, T0, rules, "quiz_bot", style), rules)
    for player in players:
        assert game.send(Join(player, player)).accepted
    return game


def started(mode: Mode, *, close_early: bool = False) -> Game:
    game = live(mode, ALICE, BOB)
    if close_early:
        assert game.send(SetCloseEarly(HOST, on=True)).accepted
    assert game.send(Start(HOST), after_s=5).accepted
    return game


def methods(effects: tuple[AnyEffect, ...]) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.method, e.ref, e.edit_ref) if isinstance(e, Effect) else ("Finish", e.reason, None)
        for e in effects
    ]


def text_of(effect: AnyEffect) -> str:
    assert isinstance(effect, Effect)
    text = effect.params["text"]
    assert isinstance(text, str)
    return text


# ---- every mode from start to finish --------------------------------------


def test_solo_starts_on_the_first_question_in_the_players_chat() -> None:
    game = solo()

    assert game.state.status is Status.QUESTION
    assert (game.state.position, game.state.participant_count) == (0, 1)
    assert game.state.deadline == T0 + timedelta(seconds=20)
    [question] = game.effects
    assert isinstance(question, Effect)
    assert (question.method, question.audience, question.ref) == (
        "sendMessage",
        Chat(ALICE),
        "q:77:0",
    )


def test_solo_advances_as_soon_as_the_player_answers_and_finishes() -> None:
    game = solo()
    for position in range(3):
        assert game.send(AnswerRecorded(1), after_s=2).accepted
        close = game.send(EveryoneAnswered(QuestionStats(answered=1, correct=1)))
        assert close.accepted and game.state.status is Status.REVEAL
        assert game.state.deadline == game.now + timedelta(seconds=RULES.solo_reveal_pause_s)
        assert methods(close.effects) == [("editMessageText", None, f"q:77:{position}")]
        assert "🎉 Correct!" in text_of(close.effects[0])
        game.at_deadline()

    assert game.state.status is Status.FINISHED
    assert game.state.deadline is None
    assert game.effects == (Finish(Status.FINISHED),)


@pytest.mark.parametrize(
    ("mode", "audience"), [(Mode.GROUP, Chat(GROUP_CHAT)), (Mode.PRIVATE, Participants())]
)
def test_live_mode_runs_lobby_questions_reveals_and_finish(mode: Mode, audience: object) -> None:
    chat = GROUP_CHAT if mode is Mode.GROUP else HOST_CHAT
    game = live(mode, ALICE, BOB)
    assert (game.state.status, game.state.position, game.state.participant_count) == (
        Status.LOBBY,
        -1,
        2,
    )

    start = game.send(Start(HOST), after_s=30)
    assert methods(start.effects) == [
        ("editMessageText", None, "lobby:77"),
        ("sendMessage", "q:77:0", None),
    ]
    lobby_edit, first = start.effects
    assert isinstance(lobby_edit, Effect) and lobby_edit.audience == Chat(chat)
    assert "Started with 2 players" in text_of(lobby_edit)
    assert isinstance(first, Effect) and first.audience == audience

    for position, question in enumerate(QUIZ.questions):
        assert game.state.status is Status.QUESTION and game.state.position == position
        extra = RULES.broadcast_s(game.state)  # PRIVATE: the broadcast's length
        assert game.state.deadline == game.now + timedelta(seconds=question.time_limit_s + extra)
        game.send(AnswerRecorded(1), after_s=1)
        close = game.at_deadline(QuestionStats(answered=1, correct=0))
        [reveal] = close.effects
        assert isinstance(reveal, Effect) and reveal.audience == audience
        assert (reveal.method, reveal.edit_ref) == ("editMessageText", f"q:77:{position}")
        assert game.state.deadline == game.now + timedelta(seconds=RULES.reveal_pause_s)
        following = game.at_deadline()

    assert game.state.status is Status.FINISHED
    assert following.effects == (Finish(Status.FINISHED),)


@pytest.mark.parametrize(
    ("mode", "audience"), [(Mode.GROUP, Chat(GROUP_CHAT)), (Mode.PRIVATE, Participants())]
)
def test_a_polls_game_asks_quiz_polls_and_stops_each_at_its_deadline(
    mode: Mode, audience: object
) -> None:
    spec = bot_api_spec()
    game = live(mode, ALICE, BOB, style=Style.POLLS)
    start = game.send(Start(HOST), after_s=5)
    assert methods(start.effects)[1] == ("sendPoll", "q:77:0", None)

    for position, question in enumerate(QUIZ.questions):
        ask = game.last.effects[-1]
        assert isinstance(ask, Effect) and ask.method == "sendPoll" and ask.audience == audience
        poll: dict[str, Any] = ask.params
        assert poll["type"] == "quiz" and poll["is_anonymous"] is False
        assert poll["correct_option_ids"] == sorted(question.correct)
        assert poll["open_period"] == question.time_limit_s
        assert poll["question"] == f"{position + 1}/{len(QUIZ.questions)}. {question.text}"
        assert [o["text"] for o in poll["options"]] == list(question.options)
        for option in poll["options"]:
            check_fields(option, "InputPollOption", spec)
        close = game.at_deadline(QuestionStats(answered=1, correct=1))
        [stop] = close.effects
        assert isinstance(stop, Effect) and stop.audience == audience
        assert (stop.method, stop.edit_ref) == ("stopPoll", f"q:77:{position}")
        assert "How did I do?" in str(stop.params["reply_markup"])
        game.at_deadline()

    assert game.state.status is Status.FINISHED


def test_a_late_private_joiner_of_a_polls_game_gets_the_open_poll_for_the_time_left() -> None:
    game = live(Mode.PRIVATE, ALICE, style=Style.POLLS)
    game.send(Start(HOST), after_s=5)
    joined = game.send(Join(BOB, BOB), after_s=4)
    _welcome, poll = joined.effects
    assert isinstance(poll, Effect) and (poll.method, poll.ref) == ("sendPoll", "q:77:0")
    assert poll.audience == Chat(BOB)
    left = QUIZ.questions[0].time_limit_s - 4
    assert left <= poll.params["open_period"] <= left + 1  # a broadcast adds its length


def test_group_lobby_has_join_and_start_buttons_in_the_group() -> None:
    game = live(Mode.GROUP)
    [lobby] = game.effects

    assert isinstance(lobby, Effect)
    assert (lobby.method, lobby.audience, lobby.ref) == (
        "sendMessage",
        Chat(GROUP_CHAT),
        "lobby:77",
    )
    buttons = [b for row in lobby.params["reply_markup"]["inline_keyboard"] for b in row]  # type: ignore[index]
    assert [b.get("callback_data") for b in buttons] == ["j:77", "o:77:1", "s:77"]
    assert "stays open its full time" in text_of(lobby)
    assert game.state.deadline == T0 + timedelta(seconds=RULES.lobby_timeout_s)


def test_private_lobby_goes_to_the_host_with_a_join_deep_link() -> None:
    [lobby] = live(Mode.PRIVATE).effects

    assert isinstance(lobby, Effect) and lobby.audience == Chat(HOST_CHAT)
    assert "https://t.me/quiz_bot?start=join-77" in text_of(lobby)


def test_private_join_welcomes_the_player_in_their_own_chat() -> None:
    game = live(Mode.PRIVATE)
    join = game.send(Join(ALICE, ALICE))

    [welcome] = join.effects
    assert isinstance(welcome, Effect) and welcome.audience == Chat(ALICE)
    assert "You're in" in text_of(welcome)
    assert game.state.participant_count == 1


def test_group_join_sends_nothing_so_big_groups_stay_within_rate_limits() -> None:
    game = live(Mode.GROUP)

    assert game.send(Join(ALICE, GROUP_CHAT)).effects == ()
    assert game.state.participant_count == 1


# ---- early advance and the clock ------------------------------------------


@pytest.mark.parametrize(
    ("mode", "close_early", "closes"),
    [
        (Mode.GROUP, False, False),  # a member about to answer is never shut out
        (Mode.GROUP, True, True),  # the host chose it in the lobby
        (Mode.PRIVATE, False, True),  # the participants are known
    ],
)
def test_who_closes_a_question_early(mode: Mode, close_early: bool, closes: bool) -> None:
    game = started(mode, close_early=close_early)
    assert closes_early(game.state) is closes
    game.send(AnswerRecorded(2), after_s=1)

    close = game.send(EveryoneAnswered(QuestionStats(answered=2, correct=2)))

    assert close.accepted is closes
    assert game.state.status is (Status.REVEAL if closes else Status.QUESTION)
    if not closes:
        assert close.reason == "Group questions stay open their full time"
        assert game.at_deadline().accepted  # it closes at its deadline as usual


def test_a_solo_question_closes_as_soon_as_it_is_answered() -> None:
    assert closes_early(solo().state)


def test_only_the_host_of_a_group_lobby_sets_close_early_and_the_lobby_shows_it() -> None:
    game = live(Mode.GROUP, ALICE)
    assert game.send(SetCloseEarly(ALICE, on=True)).reason == "Only the host can change this"

    chosen = game.send(SetCloseEarly(HOST, on=True))

    assert game.state.close_when_all_answered
    [edit] = chosen.effects
    assert isinstance(edit, Effect) and edit.edit_ref == "lobby:77"
    assert "closes as soon as every joined player has answered" in text_of(edit)
    buttons = [b for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]  # type: ignore[index]
    assert "o:77:0" in [b.get("callback_data") for b in buttons]
    assert game.send(SetCloseEarly(HOST, on=True)).effects == ()  # a repeat changes nothing
    assert game.send(Start(HOST)).accepted
    assert game.send(SetCloseEarly(HOST, on=False)).reason == "This quiz has already started"
    assert live(Mode.PRIVATE).send(SetCloseEarly(HOST, on=True)).accepted is False


def test_a_live_question_closes_early_once_everyone_answered() -> None:
    game = started(Mode.GROUP, close_early=True)
    assert game.send(AnswerRecorded(1), after_s=1).accepted

    refused = game.send(EveryoneAnswered())
    assert refused.reason == "Not everyone has answered yet"

    game.send(AnswerRecorded(2), after_s=1)
    close = game.send(EveryoneAnswered(QuestionStats(answered=2, correct=1)))
    assert close.accepted and game.state.status is Status.REVEAL
    assert "📊 50% answered correctly (1 of 2)" in text_of(close.effects[0])


def test_everyone_answered_trusts_the_stores_count_in_the_stats() -> None:
    game = started(Mode.GROUP, close_early=True)

    assert game.send(EveryoneAnswered(QuestionStats(answered=2, correct=2))).accepted


@pytest.mark.parametrize("status", [Status.LOBBY, Status.QUESTION, Status.REVEAL])
def test_a_deadline_not_yet_due_is_refused_and_due_exactly_at_the_deadline(status: Status) -> None:
    game = live(Mode.GROUP, ALICE) if status is Status.LOBBY else started(Mode.GROUP)
    if status is Status.REVEAL:
        game.at_deadline()
    assert game.state.status is status and game.state.deadline is not None

    game.now = game.state.deadline - timedelta(microseconds=1)
    assert game.send(Deadline()).reason == "Not time yet"
    assert game.send(Deadline(), after_s=0.000001).accepted


def test_an_unstarted_lobby_is_abandoned_at_its_deadline() -> None:
    game = live(Mode.GROUP, ALICE)
    expire = game.at_deadline()

    assert game.state.status is Status.ABANDONED
    assert methods(expire.effects) == [
        ("editMessageText", None, "lobby:77"),
        ("Finish", Status.ABANDONED, None),
    ]
    assert "lobby closed" in text_of(expire.effects[0])


def test_answer_counts_are_totals_and_never_go_back() -> None:
    game = started(Mode.GROUP)
    game.send(AnswerRecorded(2), after_s=3)
    activity = game.state.last_activity_at

    assert game.send(AnswerRecorded(1), after_s=1).accepted
    assert game.state.answered_count == 2
    assert game.state.last_activity_at == activity


def test_answer_counts_reset_when_the_next_question_opens() -> None:
    game = started(Mode.GROUP)
    game.send(AnswerRecorded(2), after_s=3)
    game.at_deadline()
    game.at_deadline()

    assert (game.state.position, game.state.answered_count) == (1, 0)


@pytest.mark.parametrize("event", [AnswerRecorded(1), EveryoneAnswered()])
def test_answer_events_outside_an_open_question_are_refused(event: Event) -> None:
    game = started(Mode.GROUP)
    game.at_deadline()

    assert not game.send(event).accepted


# ---- host-only controls ----------------------------------------------------


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (Start(ALICE), "Only the host can start this quiz"),
        (Stop(ALICE), "Only the host or a group admin can stop this quiz"),
    ],
)
def test_only_the_host_can_start_or_stop(event: Event, reason: str) -> None:
    game = live(Mode.GROUP, ALICE)

    assert game.send(event).reason == reason
    assert game.state.status is Status.LOBBY


def test_a_group_admin_can_stop_and_in_private_only_the_host() -> None:
    group = started(Mode.GROUP)
    assert group.send(Stop(ALICE, by_admin=True)).accepted
    assert group.state.status is Status.STOPPED
    private = started(Mode.PRIVATE)
    assert private.send(Stop(ALICE)).reason == "Only the host can stop this quiz"


def test_start_needs_enough_players() -> None:
    assert (
        live(Mode.GROUP).send(Start(HOST)).reason == "Nobody has joined yet — press 🙋 Join first"
    )
    game = live(Mode.GROUP, ALICE, rules=GameRules(min_players=3))
    assert game.send(Start(HOST)).reason == "Waiting for 3 players (1 joined)"


def test_start_twice_is_refused() -> None:
    game = started(Mode.PRIVATE)

    assert game.send(Start(HOST)).reason == "This quiz has already started"


def test_stop_during_a_question_reveals_it_then_finishes() -> None:
    game = started(Mode.PRIVATE)
    stop = game.send(Stop(HOST, QuestionStats(answered=1, correct=1)), after_s=4)

    assert game.state.status is Status.STOPPED and game.state.deadline is None
    assert methods(stop.effects) == [
        ("editMessageText", None, "q:77:0"),
        ("Finish", Status.STOPPED, None),
    ]
    assert isinstance(stop.effects[0], Effect) and stop.effects[0].audience == Participants()


def test_stop_in_the_lobby_cancels_it() -> None:
    game = live(Mode.GROUP, ALICE)
    stop = game.send(Stop(HOST))

    assert methods(stop.effects) == [
        ("editMessageText", None, "lobby:77"),
        ("Finish", Status.STOPPED, None),
    ]
    assert "Cancelled by the host" in text_of(stop.effects[0])


def test_stop_during_a_reveal_only_finishes() -> None:
    game = started(Mode.GROUP)
    game.at_deadline()

    assert game.send(Stop(HOST)).effects == (Finish(Status.STOPPED),)


def test_the_solo_player_may_stop_their_own_game() -> None:
    game = solo()

    assert game.send(Stop(ALICE)).accepted
    assert game.state.status is Status.STOPPED


# ---- abandon ----------------------------------------------------------------


def test_abandon_is_refused_while_the_session_is_active() -> None:
    game = solo()

    assert (
        game.send(Abandon(), after_s=RULES.abandon_after_s - 1).reason
        == "This quiz is still active"
    )
    assert game.send(Abandon(), after_s=1).accepted
    assert game.state.status is Status.ABANDONED
    assert methods(game.effects) == [
        ("editMessageText", None, "q:77:0"),
        ("Finish", Status.ABANDONED, None),
    ]


def test_an_idle_session_is_abandoned_after_a_reveal_instead_of_playing_on() -> None:
    rules = GameRules(abandon_after_s=25)
    game = Game(new_solo(SID, ALICE, ALICE, QUIZ, T0, rules), rules)
    game.at_deadline(QuestionStats(answered=0, correct=0))  # nobody answered for 20 s
    assert "⏰ Time's up!" in text_of(game.effects[0])

    game.now += timedelta(seconds=10)
    game.send(Deadline())

    assert game.state.status is Status.ABANDONED
    assert game.effects == (Finish(Status.ABANDONED),)


# ---- terminal states and late joins -----------------------------------------


def terminal(status: Status) -> Game:
    game = started(Mode.GROUP)
    if status is Status.STOPPED:
        game.send(Stop(HOST))
    elif status is Status.ABANDONED:
        game.send(Abandon(), after_s=RULES.abandon_after_s)
    else:
        for _ in QUIZ.questions:
            game.at_deadline()
            game.at_deadline()
    assert game.state.status is status
    return game


@pytest.mark.parametrize("status", [Status.FINISHED, Status.STOPPED, Status.ABANDONED])
@pytest.mark.parametrize(
    "event",
    [
        Join(ALICE, ALICE),
        Start(HOST),
        AnswerRecorded(5),
        Deadline(),
        EveryoneAnswered(),
        Stop(HOST),
        Abandon(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_terminal_session_refuses_every_event(status: Status, event: Event) -> None:
    game = terminal(status)

    assert game.send(event, after_s=10_000).reason == "This quiz is over"


def test_late_joiner_in_private_mode_gets_the_open_question_at_once() -> None:
    game = started(Mode.PRIVATE)
    join = game.send(Join(3003, 3003), after_s=12.5)

    assert methods(join.effects) == [("sendMessage", None, None), ("sendMessage", "q:77:0", None)]
    assert all(isinstance(e, Effect) and e.audience == Chat(3003) for e in join.effects)
    assert "⏱ 8 s left" in text_of(join.effects[1])
    assert game.state.participant_count == 3


def test_late_joiner_during_a_reveal_waits_for_the_next_question() -> None:
    game = started(Mode.PRIVATE)
    game.at_deadline()

    assert methods(game.send(Join(3003, 3003)).effects) == [("sendMessage", None, None)]


def test_late_joiner_in_group_mode_is_counted() -> None:
    game = started(Mode.GROUP)

    assert game.send(Join(3003, GROUP_CHAT), after_s=1).accepted
    assert game.state.participant_count == 3


def test_nobody_can_join_a_solo_game() -> None:
    assert solo().send(Join(BOB, BOB)).reason == "This is a solo game"


# ---- results and programming errors -----------------------------------------


@pytest.mark.parametrize(
    ("mode", "host_played", "audiences"),
    [
        (Mode.SOLO, True, [Chat(ALICE)]),
        (Mode.GROUP, False, [Chat(GROUP_CHAT)]),
        (Mode.PRIVATE, True, [Chat(ALICE), Chat(BOB)]),
        (Mode.PRIVATE, False, [Chat(ALICE), Chat(BOB), Chat(HOST_CHAT)]),
    ],
)
def test_results_go_where_the_players_are(
    mode: Mode, host_played: bool, audiences: list[object]
) -> None:
    state = solo().state if mode is Mode.SOLO else live(mode).state
    personal = [(ALICE, "🏁 yours, Alice"), (BOB, "🏁 yours, Bob")]
    effects = results_effects(
        state, "🏁 <b>Results</b>", host_is_participant=host_played, personal=personal
    )

    assert [e.audience for e in effects] == audiences
    for effect in effects:
        check_effect(effect)
        buttons = effect.params["reply_markup"]["inline_keyboard"]  # type: ignore[index]
        assert [[b["callback_data"] for b in row] for row in buttons] == [
            [f"r:{state.session_id}"],
            [f"p:{state.session_id}", "n"],
        ]
        assert buttons == results_keyboard(state.session_id)["inline_keyboard"]
    if mode is Mode.PRIVATE:
        texts = [e.params["text"] for e in effects]
        assert texts[:2] == ["🏁 yours, Alice", "🏁 yours, Bob"]
        assert texts[2:] == ([] if host_played else ["🏁 <b>Results</b>"])


def test_a_live_reveal_offers_how_did_i_do_and_a_solo_reveal_does_not() -> None:
    for game, expected in ((started(Mode.GROUP), [[f"h:{SID}:0"]]), (solo(), [])):
        reveal = game.send(Deadline(), after_s=60).effects[0]
        assert isinstance(reveal, Effect) and reveal.method == "editMessageText"
        keyboard = reveal.params["reply_markup"]["inline_keyboard"]  # type: ignore[index]
        assert [[b["callback_data"] for b in row] for row in keyboard] == expected


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_solo(SID, ALICE, ALICE, QUIZ, datetime(2026, 1, 1), RULES)


def test_the_quiz_must_match_the_session() -> None:
    other = replace(QUIZ, questions=QUIZ.questions[:2])

    with pytest.raises(ValueError, match="does not match"):
        step(solo().state, Deadline(), T0, RULES, other)


def test_new_live_refuses_solo_mode() -> None:
    with pytest.raises(ValueError, match="new_solo"):
        new_live(SID, Mode.SOLO, HOST, HOST_CHAT, QUIZ, T0, RULES, "quiz_bot")


def test_session_state_is_immutable() -> None:
    state: SessionState = solo().state

    with pytest.raises(AttributeError):
        state.position = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("participants", "rate", "deadline_extra_s", "reveal_s"),
    [
        (1, 30.0, 1 / 30, 3),  # tiny broadcast: the normal pause
        (90, 30.0, 3.0, 3.0),  # broadcast as long as the pause
        (300, 30.0, 10.0, 10.0),  # the reveal reaches the last player after 10 s
        (300, 1000.0, 0.3, 3),  # paid broadcast
    ],
)
def test_private_broadcasts_stretch_the_deadline_and_the_reveal_pause(
    participants: int, rate: float, deadline_extra_s: float, reveal_s: float
) -> None:
    rules = GameRules(broadcast_rate_per_s=rate)
    quiz = QUIZ
    lobby = new_live(SID, Mode.PRIVATE, HOST, HOST_CHAT, quiz, T0, rules, "bot").state
    lobby = replace(lobby, participant_count=participants)
    opened = step(lobby, Start(HOST), T0, rules, quiz).state
    limit = quiz.questions[0].time_limit_s
    assert opened.deadline == T0 + timedelta(seconds=limit + deadline_extra_s)
    closed = step(opened, Deadline(), opened.deadline, rules, quiz).state
    assert closed.status is Status.REVEAL
    assert closed.deadline == opened.deadline + timedelta(seconds=reveal_s)


def test_group_questions_do_not_wait_for_a_broadcast() -> None:
    rules = GameRules(broadcast_rate_per_s=30.0)
    quiz = QUIZ
    lobby = replace(
        new_live(SID, Mode.GROUP, HOST, GROUP_CHAT, quiz, T0, rules, "bot").state,
        participant_count=1000,
    )
    opened = step(lobby, Start(HOST), T0, rules, quiz).state
    assert opened.deadline == T0 + timedelta(seconds=quiz.questions[0].time_limit_s)
