"""The game clock drives sessions of every mode through their transitions.

Time is explicit: the test passes ``now`` to the clock, so a deadline "passes"
without sleeping. Sessions, joins, requests and presses go through the web
tier's SQL, so these are the rows the writer really sees.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from quizbot.domain.scoring import ScoringRules, points
from quizbot.domain.session import Mode
from quizbot.store import admins
from quizbot.store.languages import set_player_language
from quizbot.store.updates import PlayerInfo, upsert_players
from quizbot.writer.clock import utcnow
from tests.integration.writer_world import RIGHT, WRONG, World, kinds

S = timedelta(seconds=1)


def texts(messages: list) -> list[str]:
    return [m.params.get("text", "") for m in messages]


def test_solo_game_opens_at_once_and_advances_as_soon_as_the_player_answers(
    engine: Engine,
) -> None:
    world = World(engine)
    sid = world.solo(501)
    t0 = utcnow()

    assert kinds(world.tick(t0)) == ["start"]
    session = world.session(sid)
    assert (session.status, session.position, session.deadline) == ("question", 0, t0 + 10 * S)
    [question] = world.messages(sid)
    assert (question.chat_id, question.method, question.ref) == (501, "sendMessage", f"q:{sid}:0")
    buttons = [
        b["callback_data"]
        for row in question.params["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    assert buttons == [f"a:{sid}:0:0", f"a:{sid}:0:1", f"a:{sid}:0:2"]

    assert world.press(sid, 0, 501, RIGHT[0])
    assert kinds(world.tick(t0 + 0.2 * S)) == ["close_early"]
    reveal = world.messages(sid)[-1]
    assert (reveal.method, reveal.edit_ref, reveal.chat_id) == (
        "editMessageText",
        f"q:{sid}:0",
        501,
    )
    assert "Correct!" in reveal.params["text"]
    assert reveal.params["reply_markup"] == {"inline_keyboard": []}

    assert world.tick(t0 + 1.1 * S) == []  # the solo reveal pause is 1 s
    assert kinds(world.tick(t0 + 1.2 * S)) == ["next"]
    assert world.session(sid).position == 1
    assert world.press(sid, 1, 501, WRONG[1])
    assert kinds(world.tick(t0 + 1.3 * S)) == ["close_early"]
    assert kinds(world.tick(t0 + 2.3 * S)) == ["next"]

    # Nobody answers the last question: it closes at its deadline, then the game ends.
    assert world.tick(t0 + 17.2 * S) == []
    assert kinds(world.tick(t0 + 17.3 * S)) == ["close"]
    assert kinds(world.tick(t0 + 18.3 * S)) == ["finished"]

    session = world.session(sid)
    assert (session.status, session.finish_reason, session.deadline) == (
        "finished",
        "finished",
        None,
    )
    first_answer_ms = world.scalar(
        "SELECT elapsed_ms FROM answers WHERE session_id = :s AND position = 0", s=sid
    )
    result = world.results(sid)[501]
    assert (result.correct, result.answered, result.rank) == (1, 2, 1)
    assert result.score == points(True, first_answer_ms, 10_000, ScoringRules())
    leaderboard = world.messages(sid)[-1]
    assert (leaderboard.method, leaderboard.chat_id) == ("sendMessage", 501)
    assert "final results" in leaderboard.params["text"]


def test_live_question_closes_at_its_deadline_and_not_before(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    for player in (11, 12, 13):
        world.join(sid, player, -100)
    assert world.request(sid, "start", 7)
    t0 = utcnow()

    assert kinds(world.tick(t0)) == ["start"]
    started, question = world.messages(sid)
    assert (started.method, started.edit_ref, started.chat_id) == (
        "editMessageText",
        f"lobby:{sid}",
        -100,
    )
    assert (question.method, question.ref, question.chat_id) == ("sendMessage", f"q:{sid}:0", -100)

    assert world.press(sid, 0, 11, RIGHT[0])
    assert world.press(sid, 0, 12, WRONG[0])
    assert world.tick(t0 + 9.9 * S) == []
    assert world.session(sid).status == "question"

    [closed] = world.tick(t0 + 10 * S)
    assert (closed.kind, closed.deadline) == ("close", t0 + 10 * S)
    reveal = world.messages(sid)[-1]
    assert (reveal.method, reveal.edit_ref) == ("editMessageText", f"q:{sid}:0")
    assert "50% answered correctly (1 of 2)" in reveal.params["text"]
    assert "Paris." in reveal.params["text"]  # the explanation
    session = world.session(sid)
    assert (session.status, session.deadline) == ("reveal", t0 + 13 * S)

    assert kinds(world.tick(t0 + 13 * S)) == ["next"]
    assert world.messages(sid)[-1].ref == f"q:{sid}:1"


def test_private_question_closes_early_once_every_participant_answered(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    for player in (21, 22, 23):
        world.join(sid, player)
    world.request(sid, "start", 7)
    t0 = utcnow()
    assert kinds(world.tick(t0)) == ["start"]
    broadcast = [m for m in world.messages(sid) if m.ref == f"q:{sid}:0"]
    assert sorted(m.chat_id for m in broadcast) == [21, 22, 23]

    assert world.press(sid, 0, 21, RIGHT[0])
    assert world.press(sid, 0, 22, RIGHT[0])
    assert world.tick(t0 + 1 * S) == []  # one player still thinking
    assert world.press(sid, 0, 23, WRONG[0])
    assert kinds(world.tick(t0 + 2 * S)) == ["close_early"]

    edits = [m for m in world.messages(sid) if m.edit_ref == f"q:{sid}:0"]
    assert sorted(m.chat_id for m in edits) == [21, 22, 23]
    assert all("67% answered correctly (2 of 3)" in m.params["text"] for m in edits)


def test_a_group_question_stays_open_for_a_member_answering_after_the_lobby_players(
    engine: Engine,
) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    for player in (31, 32):
        world.join(sid, player, -100)
    world.request(sid, "start", 7)
    t0 = utcnow()
    assert kinds(world.tick(t0)) == ["start"]

    assert world.press(sid, 0, 31, RIGHT[0])
    assert world.press(sid, 0, 32, WRONG[0])
    # every player counted so far has answered; the question stays open
    assert world.tick(t0 + 2 * S) == []
    assert world.press(sid, 0, 33, RIGHT[0])  # a member answering for the first time
    assert world.tick(t0 + 9 * S) == []
    assert kinds(world.tick(t0 + 10 * S)) == ["close"]
    assert "67% answered correctly (2 of 3)" in world.messages(sid)[-1].params["text"]


def test_a_group_question_closes_early_when_the_host_chose_it(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    for player in (41, 42):
        world.join(sid, player, -100)
    world.execute("UPDATE sessions SET close_when_all_answered = true WHERE id = :s", s=sid)
    world.request(sid, "start", 7)
    t0 = utcnow()
    assert kinds(world.tick(t0)) == ["start"]

    assert world.press(sid, 0, 41, RIGHT[0])
    assert world.tick(t0 + 1 * S) == []
    assert world.press(sid, 0, 42, RIGHT[0])
    assert kinds(world.tick(t0 + 2 * S)) == ["close_early"]


def test_a_group_admin_stops_a_game_the_host_started_and_others_cannot(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    world.join(sid, 51, -100)
    world.request(sid, "start", 7)
    t0 = utcnow()
    assert kinds(world.tick(t0)) == ["start"]
    with engine.begin() as conn:
        admins.store_admins(conn, -100, [7, 52])

    world.request(sid, "stop", 51)  # not an admin
    assert kinds(world.tick(t0 + 1 * S)) == ["refused"]
    world.request(sid, "stop", 52)
    assert kinds(world.tick(t0 + 2 * S)) == ["stopped"]


def test_an_answer_after_the_question_closed_is_rejected(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    world.join(sid, 11, -100)
    world.join(sid, 12, -100)
    world.request(sid, "start", 7)
    t0 = utcnow()
    world.tick(t0)
    assert world.press(sid, 0, 11, RIGHT[0])
    assert kinds(world.tick(t0 + 10 * S)) == ["close"]

    assert not world.press(sid, 0, 12, RIGHT[0])
    assert not world.press(sid, 0, 13, RIGHT[0])  # a group bystander, too
    assert world.scalar("SELECT count(*) FROM answers WHERE session_id = :s", s=sid) == 1
    assert world.session(sid).answered_count == 1

    kinds(world.tick(t0 + 13 * S))  # the next question opens
    assert not world.press(sid, 0, 12, RIGHT[0])  # the old question's button stays dead
    assert world.press(sid, 1, 12, RIGHT[1])


def test_host_stop_ends_a_running_game_with_the_results_so_far(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    world.join(sid, 21)
    world.join(sid, 22)
    world.request(sid, "start", 7)
    t0 = utcnow()
    world.tick(t0)
    assert world.press(sid, 0, 21, RIGHT[0])

    world.request(sid, "stop", 21)  # not the host
    assert kinds(world.tick(t0 + 1 * S)) == ["refused"]
    session = world.session(sid)
    assert (session.status, session.pending_command) == ("question", None)
    assert session.deadline == t0 + 10 * S  # the question keeps its own deadline

    world.request(sid, "stop", 7)
    assert kinds(world.tick(t0 + 2 * S)) == ["stopped"]
    session = world.session(sid)
    assert (session.status, session.finish_reason) == ("stopped", "stopped")
    edits = [m for m in world.messages(sid) if m.edit_ref == f"q:{sid}:0"]
    assert sorted(m.chat_id for m in edits) == [21, 22]  # the open question is revealed
    boards = [m for m in world.messages(sid) if "stopped by the host" in m.params.get("text", "")]
    assert sorted(m.chat_id for m in boards) == [7, 21, 22]  # the host did not play
    results = world.results(sid)
    assert (results[21].rank, results[22].rank) == (1, 2)
    assert (results[22].score, results[22].answered) == (0, 0)


def test_a_lobby_nobody_starts_is_abandoned_at_its_timeout(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    world.join(sid, 11, -100)
    created = world.session(sid).created_at

    assert world.tick(created + 599 * S) == []
    assert kinds(world.tick(created + 600 * S)) == ["abandoned"]
    assert world.session(sid).status == "abandoned"
    [closed] = world.messages(sid)
    assert (closed.method, closed.edit_ref) == ("editMessageText", f"lobby:{sid}")
    assert "Nobody started it" in closed.params["text"]
    assert world.results(sid) == {}  # a game never played has no results
    assert world.scalar("SELECT games_played FROM players WHERE id = 11") is None


def test_a_game_nobody_plays_any_more_is_abandoned(engine: Engine) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    world.join(sid, 11, -100)
    world.request(sid, "start", 7)
    t0 = utcnow()
    world.tick(t0)
    assert kinds(world.tick(t0 + 10 * S)) == ["close"]

    # The reveal pause ends long after anyone did anything.
    assert kinds(world.tick(t0 + 1000 * S)) == ["abandoned"]
    assert world.session(sid).finish_reason == "abandoned"
    assert "ended for lack of activity" in texts(world.messages(sid))[-1]


def test_a_start_from_anyone_but_the_host_is_refused_and_the_lobby_keeps_its_timeout(
    engine: Engine,
) -> None:
    world = World(engine)
    sid = world.live(Mode.GROUP, host=7, chat=-100)
    world.join(sid, 11, -100)
    created = world.session(sid).created_at

    world.request(sid, "start", 11)
    assert kinds(world.tick()) == ["refused"]
    session = world.session(sid)
    assert (session.status, session.pending_command) == ("lobby", None)
    assert session.deadline == created + 600 * S
    assert world.messages(sid) == []

    world.request(sid, "start", 7)
    assert kinds(world.tick()) == ["start"]


def test_a_session_idle_past_the_abandon_limit_ends_before_its_next_deadline(
    engine: Engine,
) -> None:
    world = World(engine)
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    world.join(sid, 21)
    world.request(sid, "start", 7)
    t0 = utcnow()
    world.tick(t0)
    # Nothing has happened for 15 minutes, though the open question has time left
    # (a long time limit): the idle sweep ends it, without waiting for the deadline.
    world.execute("UPDATE sessions SET last_activity_at = :t WHERE id = :s", t=t0 - 900 * S, s=sid)
    assert kinds(world.tick(t0 + 1 * S)) == ["abandoned"]
    assert world.session(sid).status == "abandoned"
    assert [m.chat_id for m in world.messages(sid) if m.edit_ref == f"q:{sid}:0"] == [21]


def test_a_private_broadcast_reaches_each_player_in_their_language(engine: Engine) -> None:
    world = World(engine)
    with engine.begin() as conn:
        upsert_players(
            conn,
            [
                PlayerInfo(31, "Lucía", None, "es-419"),  # Telegram's language
                PlayerInfo(32, "Ivan", None, "en"),  # chose Russian with /language
            ],
        )
        set_player_language(conn, 32, "ru")
    sid = world.live(Mode.PRIVATE, host=7, chat=7)
    for player in (31, 32, 33):  # 33 has no player row: English
        world.join(sid, player)
    world.request(sid, "start", 7)
    t0 = utcnow()
    assert kinds(world.tick(t0)) == ["start"]
    broadcast = {m.chat_id: m.params for m in world.messages(sid) if m.ref == f"q:{sid}:0"}
    assert sorted(broadcast) == [31, 32, 33]  # one copy each, no more
    assert "Pregunta 1 de" in str(broadcast[31]["text"])
    assert "Вопрос 1 из" in str(broadcast[32]["text"])
    assert "Question 1 of" in str(broadcast[33]["text"])
    # Each copy's buttons carry its language, so the answer toast speaks it.
    suffixes = {
        chat: {
            b["callback_data"].count(":")
            for row in p["reply_markup"]["inline_keyboard"]
            for b in row
        }  # type: ignore[index]
        for chat, p in broadcast.items()
    }
    assert suffixes == {31: {4}, 32: {4}, 33: {3}}

    for player in (31, 32, 33):
        assert world.press(sid, 0, player, RIGHT[0])
    assert kinds(world.tick(t0 + 1 * S)) == ["close_early"]
    edits = {
        m.chat_id: str(m.params["text"]) for m in world.messages(sid) if m.edit_ref == f"q:{sid}:0"
    }
    assert (
        "acertó" in edits[31]
        and "Верно ответили" in edits[32]
        and "answered correctly" in edits[33]
    )

    # The rest of the game, then the personal results, each in its player's language.
    t = t0 + 1 * S
    for position in (1, 2):
        t += 3 * S
        assert kinds(world.tick(t)) == ["next"]
        for player in (31, 32, 33):
            assert world.press(sid, position, player, RIGHT[position])
        t += 1 * S
        assert kinds(world.tick(t)) == ["close_early"]
    t += 3 * S
    assert kinds(world.tick(t)) == ["finished"]
    results = {
        m.chat_id: m.params
        for m in world.messages(sid)
        if m.method == "sendMessage" and "reply_markup" in m.params and m.ref is None
    }
    mine = {chat: p["reply_markup"]["inline_keyboard"][0][0]["text"] for chat, p in results.items()}  # type: ignore[index]
    assert mine == {
        31: "📊 Mi resultado",
        32: "📊 Мой результат",
        33: "📊 My result",
        7: "📊 My result",
    }
    assert "resultados finales" in str(results[31]["text"])
    assert "итоги" in str(results[32]["text"])
    assert "final results" in str(results[33]["text"])
