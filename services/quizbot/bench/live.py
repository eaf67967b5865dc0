"""``quizbot bench live``: the whole stack, one live quiz, measured as players feel it.

Starts and stops the same stack as `make demo` (supervisord, the real config
files), plays one live quiz with the swarm, checks the database against the
swarm's ground truth, and writes ``report.json`` and ``report.png`` (the ack
latency distribution and the question delivery timeline).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import orjson

from quizbot.extras import import_extra
from quizbot.settings import Settings
from quizbot.sim.swarm.config import STYLES
from quizbot.stack.live import LiveOptions, Progress, play_live
from quizbot.stack.local import LocalStack


def run_bench(
    settings: Settings, options: LiveOptions, out_dir: Path, env: dict[str, str]
) -> dict[str, Any]:
    """Run one live quiz on a fresh stack; write report.json and report.png into ``out_dir``."""
    import_extra("matplotlib", "bench", "the benchmark's plot")  # fail before the run, not after
    out_dir.mkdir(parents=True, exist_ok=True)
    var = Path(settings.quizbot_var_dir)
    var.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench-live-", dir=var))
    stack = LocalStack(
        settings,
        root,
        players_args=options.swarm_args(),
        sim_api_args=options.sim_api_args(),
        env=env,
    )
    started = time.monotonic()
    last = [0.0]

    def show(p: Progress) -> None:
        if time.monotonic() - last[0] >= 5:
            last[0] = time.monotonic()
            print(
                f"[bench live] {p.session_status} q{p.position + 1}/{p.question_count} "
                f"answers={p.answers_recorded} delivered={p.messages_delivered} "
                f"pg={p.pg_backends} (peak {p.pg_backends_peak})",
                file=sys.stderr,
            )

    stack.start()
    try:
        report = play_live(stack, options, on_progress=show)
        swarm = orjson.loads((root / "swarm.json").read_bytes())
    finally:
        orphans = stack.stop()
    report["orphans_left"] = len(orphans)
    report["webhook_rtt_ms"] = options.webhook_rtt_ms
    report["send_rate_per_s"] = float(env.get("SEND_RATE_PER_S", settings.send_rate_per_s))
    report["wall_s"] = round(time.monotonic() - started, 1)
    (out_dir / "report.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    (out_dir / "swarm.json").write_bytes(orjson.dumps(swarm))
    plot(report, swarm, out_dir / "report.png")
    report["report_dir"] = str(out_dir)
    return report


def plot(report: dict[str, Any], swarm: dict[str, Any], path: Path) -> None:
    """Ack-latency distribution (left) and when each question reached each player (right)."""
    matplotlib = import_extra("matplotlib", "bench", "the benchmark's plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latencies = sorted(
        a["sent"]["ack_ms"] for a in swarm.get("answers", []) if a["sent"].get("ack_ms") is not None
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    if latencies:
        n = len(latencies)
        left.plot(latencies, [100 * (i + 1) / n for i in range(n)])
        left.set_xscale("log")
        for q, style in ((50, ":"), (99, "--")):
            value = latencies[min(n - 1, int(n * q / 100))]
            left.axvline(value, linestyle=style, color="grey", label=f"p{q} {value:.1f} ms")
        left.legend(loc="lower right")
    left.set_xlabel("answer → toast (ms, log scale)")
    left.set_ylabel("answers acknowledged (%)")
    left.set_title(f"Ack latency, {report['players']} players ({report['mode']})")
    deliveries = swarm.get("deliveries", {})
    if deliveries:
        origin = min(min(seen.values()) for seen in deliveries.values() if seen)
        for position, seen in sorted(deliveries.items(), key=lambda kv: int(kv[0])):
            times = sorted(t - origin for t in seen.values())
            right.plot(times, range(1, len(times) + 1), label=f"Q{int(position) + 1}")
        right.set_xlabel("seconds since the first question was delivered")
        right.set_ylabel("players who have the question")
        floor = report.get("rate_floor_s")
        right.set_title(f"Question delivery (rate-limit floor {floor} s per question)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@click.command("live")
@click.option("--players", default=1000, show_default=True, help="Simulated players.")
@click.option("--mode", type=click.Choice(["group", "private"]), default="group", show_default=True)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default="buttons",
    show_default=True,
    help="Questions with inline buttons, or as native quiz polls.",
)
@click.option("--quiz", default="world-capitals", show_default=True, help="Sample quiz slug.")
@click.option("--think-min", default=0.3, show_default=True, help="Shortest think time (s).")
@click.option("--think-max", default=2.0, show_default=True, help="Longest think time (s).")
@click.option("--rate", type=float, default=None, help="Sender's global limit (SEND_RATE_PER_S).")
@click.option(
    "--rtt-ms",
    default=0.0,
    show_default=True,
    help="Network round trip the fake Bot API adds to each webhook request (ms).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where report.json and report.png go (default .var/bench/live-<time>).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def command(
    players: int,
    mode: str,
    style: str,
    quiz: str,
    think_min: float,
    think_max: float,
    rate: float | None,
    rtt_ms: float,
    out: Path | None,
    as_json: bool,
) -> None:
    """Play one live quiz with PLAYERS on a fresh local stack and measure it.

    Checks every acknowledged answer is recorded exactly once and the results
    equal an independent computation; reports ack latency, delivery makespan
    against the rate-limit floor, 429s, commits for the results, peak
    PostgreSQL connections and CPU per answer.
    """
    from quizbot.settings import load_settings

    settings = load_settings()
    env = {"SEND_RATE_PER_S": str(rate)} if rate else {}
    options = LiveOptions(
        players=players,
        mode=mode,
        style=style,
        quiz=quiz,
        think_min_s=think_min,
        think_max_s=think_max,
        webhook_rtt_ms=rtt_ms,
    )
    target = out or Path(settings.quizbot_var_dir) / "bench" / time.strftime("live-%Y%m%d-%H%M%S")
    report = run_bench(settings, options, target, env)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    ok = report.get("finished") and report.get("lost") == 0 and report.get("double_counted") == 0
    sys.exit(0 if ok else 1)
