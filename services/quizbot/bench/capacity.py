"""``quizbot bench capacity``: bench live and bench ingest across CPU counts and player counts.

Each point is a whole ``quizbot bench live`` (or ``bench ingest``) run in a
process of its own, pinned to the first N CPUs with ``sched_setaffinity``
(what ``taskset -c`` does). Everything the run starts inherits the pinning:
supervisord and its programs, the fake Telegram and the swarm. The embedded
PostgreSQL outlives a run, so before each run its postmaster and backends are
pinned the same way (new backends inherit it); a server named by
``DATABASE_URL`` is not pinned. The report puts
the points side by side, and a PNG draws the curves that ``docs/capacity.md``
reads its projections from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import orjson

from quizbot.extras import import_extra
from quizbot.procstat import child_pids

# The figures a capacity point keeps from each report.
LIVE_FIGURES = (
    "ack_p50_ms",
    "ack_p99_ms",
    "lost",
    "scores_match",
    "answers_acknowledged",
    "delivery_makespan_s",
    "cpu_us_per_answer_web",
    "cpu_us_per_answer_total",
    "pg_backends_peak",
    "duration_s",
)
INGEST_FIGURES = ("answers_per_s", "p50_ms", "p99_ms", "lost", "cpu_us_per_answer_web")


def cpu_sets(counts: Sequence[int]) -> dict[int, set[int]]:
    """For each count, the first that many CPUs this process may run on."""
    available = sorted(os.sched_getaffinity(0))
    sets = {}
    for n in counts:
        if not 1 <= n <= len(available):
            raise click.BadParameter(
                f"{n} CPUs asked, {len(available)} available", param_hint="--cpus"
            )
        sets[n] = set(available[:n])
    return sets


def pin_server(pgdata: Path, cpus: set[int]) -> int:
    """Pin the embedded PostgreSQL under ``pgdata`` (postmaster and children) to ``cpus``;
    returns how many processes (0 when it is not running)."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    pinned = 0
    for pid in [postmaster, *child_pids(postmaster)]:
        try:
            os.sched_setaffinity(pid, cpus)
            pinned += 1
        except (ProcessLookupError, PermissionError):
            continue
    return pinned


def run_pinned(args: list[str], cpus: set[int], log: Path) -> dict[str, Any]:
    """``quizbot <args> --json`` pinned to ``cpus``; its JSON report (or the failure)."""
    command = [sys.executable, "-m", "quizbot.cli", *args, "--json"]
    with log.open("wb") as err:
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=err,
            # taskset's way; this process runs no threads that a fork could break.
            preexec_fn=lambda: os.sched_setaffinity(0, cpus),
            check=False,
        )
    try:
        report: dict[str, Any] = orjson.loads(done.stdout)
    except orjson.JSONDecodeError:
        return {"error": f"exit {done.returncode}, no report; see {log}"}
    report["exit"] = done.returncode
    return report


def measure(
    players: Sequence[int],
    cpus: Sequence[int],
    mode: str,
    out: Path,
    ingest: bool,
    pgdata: Path | None,
) -> dict[str, Any]:
    """Every point of the grid, one run after the other."""
    out.mkdir(parents=True, exist_ok=True)
    live: list[dict[str, Any]] = []
    ingests: list[dict[str, Any]] = []
    everything = set(os.sched_getaffinity(0))
    for n, pinned in cpu_sets(cpus).items():
        if pgdata is not None:
            # The server is started by the first run if it is not running yet.
            pin_server(pgdata, pinned)
        if ingest:
            report = run_pinned(["bench", "ingest", "--no-naive"], pinned, out / f"ingest-c{n}.log")
            ingests.append({"cpus": n, **_pick(report, INGEST_FIGURES)})
            _progress(f"ingest, {n} CPU: {ingests[-1]}")
        for p in players:
            name = f"live-c{n}-p{p}"
            args = ["bench", "live", "--players", str(p), "--mode", mode, "--out", str(out / name)]
            report = run_pinned(args, pinned, out / f"{name}.log")
            live.append({"cpus": n, "players": p, **_pick(report, LIVE_FIGURES)})
            _progress(f"live, {n} CPU, {p} players: {live[-1]}")
    if pgdata is not None:
        pin_server(pgdata, everything)
    return {"mode": mode, "machine_cpus": os.cpu_count(), "live": live, "ingest": ingests}


def plot(report: dict[str, Any], path: Path) -> None:
    """Ack p50 and p99 against players for each CPU count (left), durable answers per
    second at the webhook for each CPU count (right)."""
    matplotlib = import_extra("matplotlib", "bench", "the capacity plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for n in sorted({p["cpus"] for p in report["live"]}):
        points = sorted(
            (p["players"], p["ack_p50_ms"], p["ack_p99_ms"])
            for p in report["live"]
            if p["cpus"] == n and p.get("ack_p99_ms") is not None
        )
        if points:
            xs, p50, p99 = zip(*points, strict=True)
            (line,) = left.plot(xs, p99, marker="o", label=f"p99, {n} CPU")
            left.plot(
                xs, p50, marker=".", linestyle=":", color=line.get_color(), label=f"p50, {n} CPU"
            )
    left.axhline(1000, color="grey", linestyle="--", linewidth=0.8, label="1 s")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel(f"players ({report['mode']} mode, log scale)")
    left.set_ylabel("answer → toast (ms, log scale)")
    left.set_title("bench live: ack latency")
    left.legend(fontsize="small")
    ingests = [i for i in report["ingest"] if i.get("answers_per_s") is not None]
    if ingests:
        positions = range(len(ingests))
        right.bar(positions, [i["answers_per_s"] for i in ingests])
        right.set_xticks(positions, [str(i["cpus"]) for i in ingests])
        right.set_xlabel("CPUs")
    right.set_ylabel("durable answers per second")
    right.set_title("bench ingest: group commit, closed loop")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pick(report: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    if "error" in report:
        return {"error": report["error"]}
    return {name: report.get(name) for name in names} | {"exit": report.get("exit")}


def _progress(line: str) -> None:
    print(f"[bench capacity] {line}", file=sys.stderr, flush=True)


def _counts(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r}: comma-separated whole numbers") from None


@click.command("capacity")
@click.option("--players", default="100,1000,10000", show_default=True, help="Player counts.")
@click.option("--cpus", default="1,2", show_default=True, help="CPU counts to pin each run to.")
@click.option("--mode", type=click.Choice(["group", "private"]), default="group", show_default=True)
@click.option("--no-ingest", is_flag=True, help="Skip bench ingest.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where capacity.json, capacity.png and each run go (default .var/bench/capacity-<time>).",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
def command(
    players: str, cpus: str, mode: str, no_ingest: bool, out: Path | None, as_json: bool
) -> None:
    """Run bench live for each player count, and bench ingest, at each CPU count.

    One run after the other, each pinned to the first N CPUs; prints the
    figures side by side as JSON and draws capacity.png.
    """
    from quizbot.settings import load_settings

    import_extra("matplotlib", "bench", "the capacity plot")  # fail before the runs, not after
    settings = load_settings()
    target = out or Path(settings.quizbot_var_dir) / "bench" / time.strftime(
        "capacity-%Y%m%d-%H%M%S"
    )
    pgdata = None if settings.database_url else Path(settings.quizbot_var_dir) / "pgdata"
    report = measure(_counts(players), _counts(cpus), mode, target, not no_ingest, pgdata)
    (target / "capacity.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    plot(report, target / "capacity.png")
    report["report_dir"] = str(target)
    text = orjson.dumps(report, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if not as_json:
        _progress(f"capacity.json and capacity.png in {target}")
    failed = [p for p in report["live"] + report["ingest"] if p.get("error") or p.get("exit")]
    sys.exit(1 if failed else 0)
