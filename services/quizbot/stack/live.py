"""Play one live quiz on a running local stack and check it against ground truth.

The swarm runs as the ``simulator:players`` program under the stack's
supervisord. While it plays, a sampler watches PostgreSQL's connection count,
the answers recorded and the fake API's deliveries; afterwards the database is
compared with the swarm's ground truth and the results are recomputed
independently from the raw answers.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from quizbot.domain.render import AnswerOutcome, answer_toast
from quizbot.domain.scoring import PlayerTotals, ScoringRules, points, rank
from quizbot.procstat import delta_s, machine_busy_s, processes_cpu_s
from quizbot.stack.local import LocalStack


@dataclass(frozen=True)
class LiveOptions:
    """What to play: how many players, where, and how they behave."""

    players: int = 200
    mode: str = "group"
    style: str = "buttons"  # or "polls": the questions as native quiz polls
    close_early: bool = True  # the group host's lobby option
    late_joiners: int = 0  # group players who join by answering, from question 2
    quiz: str = "world-capitals"
    accuracy: float = 0.7
    think_min_s: float = 0.3
    think_max_s: float = 2.0
    seed: int = 1
    timeout_s: float = 600.0
    # The network between Telegram and the bot, per webhook request (0: loopback).
    webhook_rtt_ms: float = 0.0

    def sim_api_args(self) -> str:
        """The `quizbot sim api` options for this run."""
        return shlex.join(["--webhook-rtt-ms", str(self.webhook_rtt_ms)])

    def swarm_args(self) -> str:
        """The `quizbot sim players` options for this run."""
        args = [
            "--players", str(self.players),
            "--mode", self.mode,
            "--style", self.style,
            "--close-early" if self.close_early else "--full-time",
            "--late-joiners", str(self.late_joiners),
            "--quiz", self.quiz,
            "--accuracy", str(self.accuracy),
            "--think-min", str(self.think_min_s),
            "--think-max", str(self.think_max_s),
            "--seed", str(self.seed),
            "--timeout", str(self.timeout_s),
        ]  # fmt: skip
        return shlex.join(args)


@dataclass
class Progress:
    """What the sampler saw last; the demo shows it while the quiz runs."""

    answers_recorded: int = 0
    messages_delivered: int = 0
    pg_backends: int = 0
    pg_backends_peak: int = 0
    session_status: str = "lobby"
    position: int = -1
    question_count: int = 0


@dataclass
class _Sampler:
    stack: LocalStack
    progress: Progress = field(default_factory=Progress)
    stop: threading.Event = field(default_factory=threading.Event)
    # The server connections and the game's phase are sampled every 100 ms.
    # The answers and messages so far, only every PROGRESS_EVERY-th time:
    # counting a session's answers ten times a second walked up to 120,000
    # index entries each time with 10,000 players, on the cores that the bot
    # being measured shares.
    PROGRESS_EVERY = 10
    samples: int = 0

    def run(self) -> None:
        engine = sa.create_engine(self.stack.direct_url, poolclass=sa.NullPool)
        try:
            while not self.stop.is_set():
                # The database may be down on purpose (bench chaos): reconnect and go on.
                try:
                    with engine.connect() as conn:
                        conn.execution_options(isolation_level="AUTOCOMMIT")
                        while not self.stop.is_set():
                            self._sample(conn)
                            self.stop.wait(0.1)
                except sa.exc.DBAPIError:
                    self.stop.wait(0.5)
        finally:
            engine.dispose()

    def _sample(self, conn: sa.Connection) -> None:
        p = self.progress
        # Server connections other than this sampler's own: what pgbouncer opened.
        p.pg_backends = int(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                    "AND datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            or 0
        )
        p.pg_backends_peak = max(p.pg_backends_peak, p.pg_backends)
        row = conn.execute(
            sa.text(
                "SELECT id, status, position, question_count FROM sessions ORDER BY id DESC LIMIT 1"
            )
        ).first()
        if row is None:
            return
        session_id, p.session_status, p.position, p.question_count = row
        self.samples += 1
        if self.samples % self.PROGRESS_EVERY != 1:
            return
        p.answers_recorded = int(
            conn.scalar(
                sa.text("SELECT count(*) FROM answers WHERE session_id = :s"), {"s": session_id}
            )
            or 0
        )
        try:
            with urllib.request.urlopen(f"{self.stack.sim_url}/sim/stats", timeout=1) as resp:
                p.messages_delivered = messages_delivered(json.load(resp))
        except OSError:
            pass


def play_live(
    stack: LocalStack,
    options: LiveOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Run the swarm on ``stack``, wait for the results, and build the report."""
    sampler = _Sampler(stack)
    thread = threading.Thread(target=sampler.run, name="live-sampler", daemon=True)
    thread.start()
    web_pids = stack.program_pids().get("quizbot:web", [])
    web_cpu0, machine_cpu0 = processes_cpu_s(web_pids), machine_busy_s()
    report_file = stack.layout.root / "swarm.json"
    report_file.unlink(missing_ok=True)
    started = stack.ctl("start", "simulator:players")
    if "ERROR" in started.stdout:
        raise RuntimeError(f"the swarm did not start: {started.stdout}\n{stack.tail_logs()}")
    deadline = time.monotonic() + options.timeout_s + 30
    while time.monotonic() < deadline:
        if on_progress:
            on_progress(sampler.progress)
        if stack.states().get("simulator:players") in ("EXITED", "FATAL", "STOPPED"):
            break
        time.sleep(0.25)
    else:
        stack.ctl("stop", "simulator:players")
    web_cpu = delta_s(web_cpu0, processes_cpu_s(web_pids))
    machine_cpu = machine_busy_s() - machine_cpu0
    sampler.stop.set()
    thread.join(5)
    if not report_file.exists():
        raise RuntimeError(f"the swarm wrote no report\n{stack.tail_logs()}")
    swarm = orjson.loads(report_file.read_bytes())
    session_id = swarm.get("session_id")
    truth = check_against_database(stack, swarm, session_id) if session_id else {}
    stats = _sim_stats(stack)
    rate = float(stack.env.get("SEND_RATE_PER_S", stack.settings.send_rate_per_s))
    per_question = options.players if options.mode == "private" else 1
    recorded = truth.get("answers_recorded", 0)
    return {
        "players": options.players,
        "mode": options.mode,
        "style": options.style,
        "quiz": options.quiz,
        "session_id": session_id,
        "finished": bool(swarm.get("finished")) and truth.get("session_status") == "finished",
        "answers_sent": swarm.get("answers_sent", 0),
        "answers_acknowledged": swarm.get("answers_acknowledged", 0),
        "answers_recorded": recorded,
        "lost": truth.get("lost"),
        "double_counted": truth.get("double_counted"),
        "answers_recorded_unacknowledged": truth.get("answers_recorded_unacknowledged"),
        "scores_match": truth.get("scores_match"),
        "ack_p50_ms": _round(swarm.get("ack_p50_ms")),
        "ack_p99_ms": _round(swarm.get("ack_p99_ms")),
        "delivery_makespan_s": _round(swarm.get("delivery_makespan_s"), 3),
        "delivery_makespan_by_question_s": swarm.get("delivery_makespan_by_question_s", {}),
        "rate_floor_s": round(per_question / rate, 3),
        "messages_delivered": messages_delivered(stats),
        "retry_after_429": int(stats.get("rate_limited", 0)),
        "results_commits": truth.get("results_commits"),
        "pg_backends_peak": sampler.progress.pg_backends_peak,
        "cpu_us_per_answer_web": _per(web_cpu, recorded),
        "cpu_us_per_answer_total": _per(machine_cpu, recorded),
        "duration_s": swarm.get("duration_s"),
        "toasts": swarm.get("toasts", {}),
        "swarm_errors": swarm.get("error_count", 0),
        # What went wrong, for a run that did not go as expected: the first few.
        "swarm_error_samples": swarm.get("errors", [])[:5],
    }


def messages_delivered(stats: dict[str, Any]) -> int:
    """The bot's accepted calls in the fake API's ``/sim/stats``, less two kinds that
    deliver no message: the toasts it answered in webhook replies
    (answerCallbackQuery) and the swarm's setWebhook."""
    by_method: dict[str, dict[str, int]] = stats.get("by_method", {})
    other = sum(by_method.get(m, {}).get("200", 0) for m in ("answerCallbackQuery", "setWebhook"))
    return int(stats.get("accepted", 0)) - other


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _per(cpu_s: float, answers: int) -> float | None:
    return round(cpu_s * 1e6 / answers, 1) if answers else None


def _sim_stats(stack: LocalStack) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"{stack.sim_url}/sim/stats", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
            return data
    except OSError:
        return {}


def _wait_finished(conn: sa.Connection, session_id: int, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = str(
            conn.scalar(sa.text("SELECT status FROM sessions WHERE id = :s"), {"s": session_id})
        )
        if status in ("finished", "stopped", "abandoned"):
            return status
        time.sleep(0.1)
    return status


def check_against_database(
    stack: LocalStack, swarm: dict[str, Any], session_id: int
) -> dict[str, Any]:
    """Compare the database with the swarm's ground truth and recompute the results."""
    accepted = answer_toast(AnswerOutcome.ACCEPTED)
    duplicate = answer_toast(AnswerOutcome.DUPLICATE)
    # An answer counts as acknowledged-and-kept when its toast said so; a retry
    # whose first try committed but lost its response sees "already answered".
    # A poll vote has no toast: every acknowledged vote must be kept, which holds
    # while the swarm votes within the poll's time (it does: it skips a closed poll).
    kept = {
        (a["player_id"], a["position"]): a["option"]
        for a in swarm.get("answers", [])
        if a["sent"].get("toast") in (accepted, duplicate)
        or (a.get("poll") and a["sent"].get("acked_at") is not None)
    }
    engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        status = _wait_finished(conn, session_id)
        rows = conn.execute(
            sa.text(
                "SELECT a.player_id, a.position, a.option, a.correct, a.elapsed_ms, "
                "q.time_limit_s * 1000 FROM answers a JOIN sessions s ON s.id = a.session_id "
                "JOIN questions q ON q.quiz_id = s.quiz_id AND q.position = a.position "
                "WHERE a.session_id = :s"
            ),
            {"s": session_id},
        ).all()
        results = {
            r.player_id: (r.score, r.rank)
            for r in conn.execute(
                sa.text("SELECT player_id, score, rank FROM results WHERE session_id = :s"),
                {"s": session_id},
            )
        }
        # Rows written by one transaction share its xmin: distinct xmins over the
        # session's results and per-question stats = commits that wrote them.
        commits = conn.scalar(
            sa.text(
                "SELECT count(DISTINCT x) FROM ("
                " SELECT xmin::text AS x FROM results WHERE session_id = :s"
                " UNION ALL SELECT xmin::text FROM question_stats WHERE session_id = :s) t"
            ),
            {"s": session_id},
        )
    engine.dispose()
    recorded = {(r.player_id, r.position): r.option for r in rows}
    pressed = {(a["player_id"], a["position"]): a["option"] for a in swarm.get("answers", [])}
    lost = sum(1 for key, option in kept.items() if recorded.get(key) != option)
    # Counted wrongly: an answer nobody pressed, or not the option pressed. A press
    # whose commit succeeded but whose response was lost (a worker killed, the
    # client gave up retrying) is recorded without the player having seen the
    # toast: that is at-least-once, not a double count, and is reported apart.
    double = sum(1 for key, option in recorded.items() if pressed.get(key) != option)
    return {
        "session_status": status,
        "answers_recorded": len(rows),
        "answers_recorded_unacknowledged": sum(1 for key in recorded if key not in kept),
        "lost": lost,
        "double_counted": double,
        "results_commits": commits,
        "scores_match": _scores_match(rows, results, stack),
    }


def _scores_match(
    rows: Sequence[Any], results: dict[int, tuple[int, int]], stack: LocalStack
) -> bool:
    rules = ScoringRules(
        points_correct=int(stack.env.get("POINTS_CORRECT", stack.settings.points_correct)),
        speed_bonus=int(stack.env.get("SPEED_BONUS", stack.settings.speed_bonus)),
    )
    # Players who joined but never answered have a zero row in results and are
    # ranked with everyone else (ties by answer time put them ahead of players
    # who answered and scored nothing), so every row is recomputed and compared.
    totals: dict[int, list[int]] = {pid: [0, 0, 0, 0] for pid in results}
    for r in rows:
        t = totals.setdefault(r.player_id, [0, 0, 0, 0])
        t[0] += points(r.correct, r.elapsed_ms, r[5], rules)
        t[1] += int(r.correct)
        t[2] += 1
        t[3] += r.elapsed_ms
    ranked = rank(PlayerTotals(pid, s, c, n, ms) for pid, (s, c, n, ms) in totals.items())
    expected = {r.player_id: (r.score, r.rank) for r in ranked}
    return bool(results) and results == expected
