"""The chaos bench's timeline: faults against ack latency and delivery."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(report: dict[str, Any], swarm: dict[str, Any], path: Path) -> None:
    """Ack latency of every answer (top) and messages accepted by the fake API (bottom),
    over the run, with each fault's window shaded and named."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timeline = report["timeline"]
    t0 = float(timeline["t0"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    sent = [
        (a["sent"]["sent_at"] - t0, a["sent"]["ack_ms"])
        for a in swarm.get("answers", [])
        if a["sent"].get("ack_ms") is not None
    ]
    if sent:
        xs, ys = zip(*sent, strict=True)
        top.scatter(xs, ys, s=2, alpha=0.4, label="player answer")
    failed = [t - t0 for t in timeline["probe_failures"]]
    if failed:
        top.scatter(
            failed, [1] * len(failed), marker="x", color="red", s=12, label="probe not acked"
        )
    top.set_yscale("log")
    top.set_ylabel("answer → toast (ms, log)")
    p99 = report.get("ack_p99_ms_outside_faults")
    top.set_title(
        f"Chaos, {report['players']} players ({report['mode']}), seed {report['seed']}: "
        f"ack p99 outside faults {p99} ms"
    )
    accepted = [t - t0 for t in timeline["accepted"]]
    bottom.plot(accepted, range(1, len(accepted) + 1), color="tab:green")
    bottom.set_ylabel("Bot API calls accepted")
    bottom.set_xlabel("seconds since the stack started")
    faults = [f for f in report["faults"] if "at_s" in f]
    for (lo, hi), fault in zip(timeline["windows"], faults, strict=True):
        for ax in (top, bottom):
            ax.axvspan(lo - t0, hi - t0, color="orange", alpha=0.25)
        top.annotate(
            f"{fault['kind']} ({fault.get('recovery_s')} s)",
            (lo - t0, 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            fontsize=7,
        )
    top.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
