"""The player swarm against the real fake Bot API, first with a stand-in webhook that
records exactly what the swarm posts (Telegram's delivery contract), then against
the whole bot: gunicorn, the writer and the sender as real processes."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
import telegram
from sqlalchemy.engine import Engine

from quizbot.settings import Settings
from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.api.runner import start_thread
from quizbot.sim.swarm.answers import load_answer_key
from quizbot.sim.swarm.players import SwarmConfig, SwarmReport, run_swarm
from quizbot.store.quizzes import import_quiz
from tests.integration.sender_harness import sender_env
from tests.integration.swarm_standin import ACCEPTED, SESSION, StandInBot
from tests.integration.webtier import web_server

SECRET = "swarm-secret"
KEY = load_answer_key("space")
assert KEY is not None
SPACE = KEY.quiz


@contextmanager
def standin(sim: RunningSim, **options: object) -> Iterator[tuple[StandInBot, str]]:
    """The stand-in webhook on its own server thread, and its URL."""
    bot = StandInBot(sim.url, SPACE, **options)  # type: ignore[arg-type]
    server = start_thread(bot.app())
    try:
        yield bot, f"{server.url}/telegram/webhook"
    finally:
        server.stop()


def config(sim: RunningSim, webhook: str, **values: object) -> SwarmConfig:
    base: dict[str, object] = dict(
        webhook_url=webhook,
        api_url=sim.url,
        quiz="space",
        secret=SECRET,
        players=6,
        accuracy=1.0,
        think_min_s=0.0,
        think_max_s=0.1,
        join_within_s=0.1,
        seed=3,
        timeout_s=30.0,
    )
    base.update(values)
    return SwarmConfig(**base)  # type: ignore[arg-type]


def truth(report: SwarmReport) -> dict[tuple[int, int], int]:
    return {(a.player_id, a.position): a.option for a in report.answers}


async def test_a_group_plays_through_and_the_ground_truth_is_what_the_webhook_got(
    sim: RunningSim,
) -> None:
    with standin(sim) as (bot, url):
        report = await run_swarm(config(sim, url))
        assert report.finished and not report.errors
        assert report.session_id == SESSION
        # Everyone joined with the lobby's button, and everyone answered both questions.
        assert len(bot.players) == 6 and {j.via for j in report.joins} == {"button"}
        assert bot.close_early_chosen  # the host chose it before Start
        assert report.answers_sent == report.answers_acknowledged == 12
        assert truth(report) == {key: option for key, (option, _) in bot.answers.items()}
        assert report.toasts == {ACCEPTED: 12}
        # Accuracy 1.0 with the sample's answer key: every press is a correct option.
        assert all(a.option in SPACE.questions[a.position].correct for a in report.answers)
        assert all(a.intended_correct for a in report.answers)
        # One group message per question: all six saw it at once.
        assert report.questions_seen == [0, 1]
        assert all(len(seen) == 6 for seen in report.deliveries.values())
        assert set(report.delivery_makespan_s().values()) == {0.0}


async def test_updates_carry_the_secret_and_sequential_ids_and_parse_as_telegrams(
    sim: RunningSim,
) -> None:
    with standin(sim) as (bot, url):
        report = await run_swarm(config(sim, url, players=5))
        assert report.finished
        assert all(p.headers["x-telegram-bot-api-secret-token"] == SECRET for p in bot.posted)
        assert all(p.headers["content-type"] == "application/json" for p in bot.posted)
        ids = sorted(p.update["update_id"] for p in bot.first_tries())
        # /live, 5 joins, close-early, Start, 10 answers: one sequence, no gaps, no repeats.
        assert ids == list(range(ids[0], ids[0] + 18))
        for posted in bot.posted:
            parsed = telegram.Update.de_json(posted.update, None)
            assert parsed is not None and parsed.update_id == posted.update["update_id"]


async def test_at_most_max_connections_updates_are_in_flight(sim: RunningSim) -> None:
    with standin(sim, hold_s=0.05) as (bot, url):
        swarm = config(sim, url, players=40, think_max_s=0.0, join_within_s=0.0, max_connections=4)
        report = await run_swarm(swarm)
        assert report.finished
        assert bot.peak == 4  # reached, never exceeded
        assert report.max_in_flight == 4


async def test_a_modelled_round_trip_holds_each_connection_and_delays_each_ack() -> None:
    # 250 ms between Telegram and the bot: every ack takes at least that, and
    # with 2 connections, 20 presses at once take at least 10 round trips.
    slow = start_in_thread(SimConfig(limits=False, webhook_round_trip_s=0.25))
    try:
        with standin(slow) as (bot, url):
            swarm = config(slow, url, players=20, think_max_s=0.0, join_within_s=0.0)
            report = await run_swarm(dataclasses.replace(swarm, max_connections=2))
    finally:
        slow.stop()
    assert report.finished and report.answers_acknowledged == report.answers_sent
    assert min(a.sent.ack_ms or 0.0 for a in report.answers) >= 250.0
    first_question = sorted(a.sent.ack_ms or 0.0 for a in report.answers if a.position == 0)
    assert first_question[-1] >= 20 / 2 * 250.0 * 0.9  # queued behind the two connections
    assert bot.peak <= 2


async def test_a_failed_delivery_is_retried_with_the_same_update_id(sim: RunningSim) -> None:
    failing = frozenset({0, 3, 7})
    with standin(sim, fail_first=failing) as (bot, url):
        report = await run_swarm(config(sim, url))
        assert report.finished and not report.errors
        tries = Counter(p.update["update_id"] for p in bot.posted)
        retried = {uid for uid, n in tries.items() if n > 1}
        assert len(retried) == len(failing) and set(tries.values()) == {1, 2}
        for uid in retried:
            bodies = [p.body for p in bot.posted if p.update["update_id"] == uid]
            assert [p.status for p in bot.posted if p.update["update_id"] == uid] == [500, 200]
            assert bodies[0] == bodies[1]  # the very same update, redelivered
        assert report.retries == 3
        assert report.answers_acknowledged == report.answers_sent == 12
        assert {a.sent.update_id for a in report.answers if a.sent.retries} == retried
        # Each answer counted once by the bot, retries included.
        assert len(bot.answers) == 12


async def test_private_players_join_by_link_and_answer_in_their_own_chats(
    sim: RunningSim,
) -> None:
    with standin(sim) as (bot, url):
        report = await run_swarm(config(sim, url, players=4, mode="private"))
        assert report.finished and not report.errors
        vias = {j.player_id: j.via for j in report.joins}
        assert vias == {
            10_000_000: "button",
            10_000_001: "link",
            10_000_002: "link",
            10_000_003: "link",
        }
        assert bot.players == {p: p for p in vias}  # each plays in their own chat
        assert report.answers_acknowledged == 8
        assert truth(report) == {key: option for key, (option, _) in bot.answers.items()}
        assert report.results_seen == 4
        assert all(set(seen) == set(vias) for seen in report.deliveries.values())


async def test_a_refused_live_command_ends_the_run_with_the_bots_reply(sim: RunningSim) -> None:
    with standin(sim) as (_, url):
        report = await run_swarm(config(sim, url, quiz="no-such-quiz", timeout_s=20.0))
        assert not report.finished and not report.timed_out
        assert report.errors == ["no lobby; the bot said: There is no quiz called no-such-quiz."]
        assert report.answers_sent == 0


def test_the_command_takes_the_secret_from_settings_and_prints_the_ground_truth(
    sim: RunningSim, tmp_path: Path
) -> None:
    with standin(sim) as (bot, url):
        args = ["--webhook-url", url, "--api-url", sim.url, "--players", "3", "--quiz", "space"]
        args += ["--think-min", "0", "--think-max", "0.1", "--seed", "1", "--timeout", "30"]
        done = subprocess.run(
            [sys.executable, "-m", "quizbot.cli", "sim", "players", *args, "--json"],
            env={**os.environ, "WEBHOOK_SECRET": SECRET, "QUIZBOT_ENV_FILE": ""},
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    printed = json.loads(done.stdout)
    assert printed["finished"] and printed["answers_acknowledged"] == 6
    assert {(a["player_id"], a["position"]) for a in printed["answers"]} == set(bot.answers)
    assert {p.headers["x-telegram-bot-api-secret-token"] for p in bot.posted} == {SECRET}


# -- the whole bot: gunicorn, the writer and the sender as their own processes --


@contextmanager
def bot_stack(
    settings: Settings,
    sim: RunningSim,
    pooled_url: str,
    db_url: str,
    tmp_path: Path,
    **values: object,
) -> Iterator[str]:
    """The bot's three programs on this test's database; yields the webhook URL.

    ``values`` replace settings (after the defaults below).
    """
    stack = dataclasses.replace(
        settings,
        database_url=pooled_url,
        database_direct_url=db_url,
        telegram_api_url=sim.url,
        webhook_secret=SECRET,
        reveal_pause_s=0.0,
        writer_poll_ms=50,
        # The fake API's limits are off: these only keep the sender from pacing.
        per_chat_per_s=1000.0,
        per_chat_burst=1000,
        per_group_per_min=100_000,
        send_rate_per_s=1000.0,
    )
    stack = dataclasses.replace(stack, **values)  # type: ignore[arg-type]
    env = sender_env(stack)
    daemons = {
        name: subprocess.Popen(
            [sys.executable, "-c", f"from quizbot.{name}.main import main; main()"],
            env=env,
            stdout=(tmp_path / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        for name in ("writer", "sender")
    }
    web = {k: v for k, v in env.items() if k.isupper() and not k.startswith("WEB_BIND")}
    try:
        with web_server(pooled_url, tmp_path, **{**web, "FASTAPI_WORKERS": "1"}) as server:
            yield f"{server.url}/telegram/webhook"
    finally:
        for name, proc in daemons.items():
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
            log = (tmp_path / f"{name}.log").read_text()[-3000:]
            assert code == 0, f"{name} exited with {code}:\n{log}"


def stored(engine: Engine, session_id: int) -> dict[tuple[int, int], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT player_id, position, option FROM answers WHERE session_id = :s"),
            {"s": session_id},
        )
        return {(player, position): option for player, position, option in rows}


def results(engine: Engine, session_id: int) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT player_id, correct FROM results WHERE session_id = :s"),
            {"s": session_id},
        )
        return {player: correct for player, correct in rows}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["group", "private"])
async def test_a_live_quiz_played_by_the_swarm_ends_with_the_database_equal_to_its_ground_truth(
    mode: str,
    settings: Settings,
    engine: Engine,
    pooled_url: str,
    db_url: str,
    tmp_path: Path,
    sim: RunningSim,
) -> None:
    with engine.begin() as conn:
        import_quiz(conn, SPACE)
    with bot_stack(settings, sim, pooled_url, db_url, tmp_path) as webhook:
        swarm = config(sim, webhook, players=5, mode=mode, accuracy=0.6, think_max_s=0.3)
        report = await run_swarm(dataclasses.replace(swarm, timeout_s=90.0))
    assert report.finished, report.errors
    assert report.session_id is not None
    assert not report.errors
    # Every question reached every player, and every player answered each once.
    assert report.questions_seen == list(range(len(SPACE.questions)))
    assert report.answers_sent == report.answers_acknowledged == 5 * len(SPACE.questions)
    assert report.toasts == {ACCEPTED: report.answers_sent}
    # The database holds exactly the acknowledged answers, with the options pressed.
    assert stored(engine, report.session_id) == truth(report)
    # Each player's results count the correct options the swarm meant to press.
    meant = Counter(a.player_id for a in report.answers if a.intended_correct)
    assert results(engine, report.session_id) == {p: meant[p] for p in report.per_player()}
