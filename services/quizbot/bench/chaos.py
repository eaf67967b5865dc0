"""``quizbot bench chaos``: a live quiz on the whole local stack, broken on purpose.

The quiz is ``bench live``'s (the same stack, swarm and ground-truth checks);
while it runs, faults from :mod:`quizbot.stack.faults` are caused one after
another, in an order and at moments drawn from ``--seed``. An answer probe
(:mod:`quizbot.bench.probe`) runs throughout. At the end the outbox and the fake
Bot API's journal are read, and :mod:`quizbot.bench.chaos_report` turns them
into ``report.json``; ``report.png`` is the timeline (:mod:`quizbot.bench.chaos_plot`).
"""

from __future__ import annotations

import json
import math
import random
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click
import orjson
import sqlalchemy as sa

from quizbot.bench import chaos_report as cr
from quizbot.bench.chaos_runner import FaultRunner, quietly
from quizbot.bench.probe import AnswerProbe
from quizbot.settings import Settings
from quizbot.stack.faults import Durations, Faults, kinds_for
from quizbot.stack.live import LiveOptions, Progress, play_live
from quizbot.stack.local import LocalStack
from quizbot.store.quizzes import import_quiz, load_quiz_file

QUIZ_SLUG = "chaos"
REVEAL_PAUSE_S = 2


@dataclass(frozen=True)
class ChaosOptions:
    """One chaos run: the quiz, the faults and their pacing."""

    players: int = 1000
    mode: str = "group"
    seed: int = 1
    durations: Durations = field(default_factory=Durations)
    gap_min_s: float = 4.0
    gap_max_s: float = 9.0
    time_limit_s: int = 20
    kinds: tuple[str, ...] = ()  # default: every kind the mode can meet
    # Time each fault is given to recover before the next, when sizing the quiz.
    recovery_allowance_s: float = 6.0
    # The limits; a small run on a loaded machine (the e2e test) widens them.
    recovery_limit_s: float = 5.0
    ack_p99_limit_ms: float = 150.0
    # A floor under the duplicate bound, for runs too small for 0.1% to allow one.
    min_duplicate_limit: float = 0.0

    def plan(self) -> list[tuple[str, float]]:
        """(fault kind, seconds to wait before it), in the seed's order."""
        rng = random.Random(self.seed)
        kinds = list(self.kinds or kinds_for(self.mode))
        rng.shuffle(kinds)
        return [(k, round(rng.uniform(self.gap_min_s, self.gap_max_s), 2)) for k in kinds]

    def question_s(self, rate: float) -> float:
        """One question's length: its time limit, the reveal, and in private mode two
        broadcasts at the rate-limit floor."""
        broadcast = 2 * self.players / rate if self.mode == "private" else 0.0
        return self.time_limit_s + REVEAL_PAUSE_S + broadcast

    def questions(self, rate: float) -> int:
        """Enough questions that the quiz outlasts every fault and its recovery."""
        plan = self.plan()
        per_fault = self.recovery_allowance_s
        needed = sum(gap + self.durations.outage(k) + per_fault for k, gap in plan) + 10.0
        return math.ceil(needed / self.question_s(rate)) + 1


def chaos_quiz(questions: int, time_limit_s: int, seed: int) -> str:
    """A quiz file (YAML) long enough for the run."""
    rng = random.Random(seed)
    lines = [f"title: Chaos {questions}", f"slug: {QUIZ_SLUG}", f"time_limit: {time_limit_s}"]
    lines.append("questions:")
    for n in range(1, questions + 1):
        lines.append(f"  - question: Chaos question {n}?")
        lines.append('    options: ["red", "green", "blue", "yellow"]')
        lines.append(f"    correct: {rng.randint(1, 4)}")
    return "\n".join(lines) + "\n"


def run_chaos(
    settings: Settings,
    options: ChaosOptions,
    out_dir: Path,
    env: dict[str, str],
    keep_database: bool = False,
) -> dict[str, Any]:
    """Run one chaos quiz on a fresh stack; write report.json and report.png into ``out_dir``.

    ``keep_database`` leaves the run's database in place for a post-mortem.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    var = Path(settings.quizbot_var_dir)
    var.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench-chaos-", dir=var))
    env = {"REVEAL_PAUSE_S": str(REVEAL_PAUSE_S), **env}
    rate = float(env.get("SEND_RATE_PER_S", settings.send_rate_per_s))
    questions = options.questions(rate)
    quiz_file = root / "chaos.yaml"
    quiz_file.write_text(chaos_quiz(questions, options.time_limit_s, options.seed))
    live = LiveOptions(
        players=options.players,
        mode=options.mode,
        quiz=QUIZ_SLUG,
        think_min_s=0.5,
        think_max_s=max(1.0, options.time_limit_s - 2.0),
        seed=options.seed,
        timeout_s=questions * options.question_s(rate) + 180,
    )
    args = f"{live.swarm_args()} --answers {quiz_file}"
    stack = LocalStack(settings, root, players_args=args, env=env, keep_database=keep_database)
    started = time.time()
    stack.start()
    try:
        engine = sa.create_engine(stack.direct_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            import_quiz(conn, load_quiz_file(quiz_file))
        report = _play(stack, options, live, engine, started)
        engine.dispose()
        swarm = orjson.loads((root / "swarm.json").read_bytes())
    finally:
        orphans = stack.stop()
    report["orphans_left"] = len(orphans)
    report["questions"] = questions
    report["wall_s"] = round(time.time() - started, 1)
    (out_dir / "report.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    from quizbot.bench.chaos_plot import plot

    plot(report, swarm, out_dir / "report.png")
    report["report_dir"] = str(out_dir)
    return report


def _play(
    stack: LocalStack, options: ChaosOptions, live: LiveOptions, engine: sa.Engine, t0: float
) -> dict[str, Any]:
    def latest(sql: str) -> list[int]:
        with engine.connect() as conn:
            return [int(v) for v in conn.scalars(sa.text(sql))]

    faults = Faults(
        stack,
        options.durations,
        players_chats=lambda: latest(
            "SELECT chat_id FROM participants WHERE session_id = (SELECT max(id) FROM sessions)"
        ),
        group_chat=lambda: next(
            iter(latest("SELECT chat_id FROM sessions ORDER BY id DESC LIMIT 1")), None
        ),
    )
    probe = AnswerProbe(f"{stack.web_url}/telegram/webhook", stack.webhook_secret).start()

    def accepted() -> int:
        with urllib.request.urlopen(f"{stack.sim_url}/sim/stats", timeout=5) as resp:
            return int(json.load(resp).get("accepted", 0))

    runner = FaultRunner(
        faults,
        options.plan(),
        probe,
        random.Random(options.seed),
        accepted,
        lambda: _outbox_idle(engine),
    )

    def watch(progress: Progress) -> None:
        runner.progress = progress

    thread = threading.Thread(target=runner.run, name="chaos-faults", daemon=True)
    thread.start()
    report = play_live(stack, live, on_progress=watch)
    runner.stop.set()
    thread.join(faults.back_timeout_s + 60)
    _drain(engine)
    probes = probe.stop()
    rows = _outbox(engine)
    calls = _journal(stack)
    swarm = orjson.loads((stack.layout.root / "swarm.json").read_bytes())
    report["seed"] = options.seed
    report["durations"] = asdict(options.durations)
    report.update(cr.figures(runner.done, probes, rows, calls, swarm, t0))
    # The /help probes whose replies keep a message due every second.
    report["help_probes"] = len(probe.commands)
    report["help_probes_acknowledged"] = sum(c.acknowledged for c in probe.commands)
    report["programs_running_after"] = {
        k: v for k, v in stack.states().items() if not k.startswith("simulator:players")
    }
    limits = {
        "recovery_s": options.recovery_limit_s,
        "duplicate_sends": max(
            options.min_duplicate_limit,
            0.001 * len(rows) if options.mode == "private" else float(len(report["faults"])),
        ),
    }
    if options.mode == "group":
        limits["ack_p99_ms"] = options.ack_p99_limit_ms
    report["limits"] = limits
    report["failures"] = cr.verdict(report, limits)
    report["passed"] = not report["failures"]
    return report


def _drain(engine: sa.Engine, timeout_s: float = 60.0) -> None:
    # The quiz is over when its results are delivered; what is still queued then
    # (a retry's backoff) gets a bounded while to go out before it counts as lost.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if quietly(lambda: _outbox_idle(engine), False):
            return
        time.sleep(0.5)


def _outbox_idle(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return not conn.scalar(
            sa.text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')")
        )


def _outbox(engine: sa.Engine) -> list[cr.OutboxRow]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, chat_id, status, error, extract(epoch FROM created_at) FROM outbox")
        ).all()
    return [cr.OutboxRow(r[0], r[1], r[2], r[3], float(r[4])) for r in rows]


def _journal(stack: LocalStack) -> list[cr.Call]:
    calls: list[cr.Call] = []
    since = 0
    while True:
        url = f"{stack.sim_url}/sim/calls?since={since}&limit=5000"
        with urllib.request.urlopen(url, timeout=30) as resp:
            page = json.load(resp)
        if not page["calls"]:
            return calls
        for c in page["calls"]:
            outbox_id = c.get("outbox_id")
            calls.append(cr.Call(float(c["at"]), None if outbox_id is None else int(outbox_id)))
        since = page["next"]


@click.command("chaos")
@click.option("--players", default=1000, show_default=True, help="Simulated players.")
@click.option("--mode", type=click.Choice(["group", "private"]), default="group", show_default=True)
@click.option("--seed", default=1, show_default=True, help="Order and moments of the faults.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where report.json and report.png go (default .var/bench/chaos-<time>).",
)
def command(players: int, mode: str, seed: int, out: Path | None) -> None:
    """Play a live quiz with PLAYERS on a fresh local stack while breaking it on purpose.

    SIGKILLs each program (a gunicorn worker, the master, the sender, the
    writer), stops pgbouncer for 30 s and PostgreSQL (-m immediate) for 15 s,
    and makes the fake Telegram storm with 429s, fail with 5xx, answer slowly,
    and (by mode) have 10% of the players block the bot or the group migrate.
    Prints the JSON report (with --seed) and exits 1 when a "done when" limit fails.
    """
    from quizbot.settings import load_settings
    from quizbot.store.pgbouncer import find_binary

    if find_binary() is None:
        raise click.ClickException(
            "pgbouncer is not installed: the chaos bench stops and starts it (apt-get install pgbouncer)"
        )
    settings = load_settings()
    if settings.database_url:
        raise click.ClickException(
            "the chaos bench stops PostgreSQL, so it runs on the embedded server: unset DATABASE_URL"
        )
    options = ChaosOptions(players=players, mode=mode, seed=seed)
    target = out or Path(settings.quizbot_var_dir) / "bench" / time.strftime("chaos-%Y%m%d-%H%M%S")
    report = run_chaos(settings, options, target, {})
    report.pop("timeline", None)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    sys.exit(0 if report["passed"] else 1)
