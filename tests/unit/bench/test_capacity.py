"""bench capacity: which CPUs each point is pinned to, and what a failed run reports."""

from __future__ import annotations

import os

import click
import pytest

from quizbot.bench.capacity import _counts, _pick, cpu_sets


def test_each_count_gets_the_first_cpus_this_process_may_use() -> None:
    available = sorted(os.sched_getaffinity(0))
    assert cpu_sets([1]) == {1: {available[0]}}
    assert cpu_sets([len(available)]) == {len(available): set(available)}


@pytest.mark.parametrize("count", [0, len(os.sched_getaffinity(0)) + 1])
def test_more_cpus_than_there_are_is_refused(count: int) -> None:
    with pytest.raises(click.BadParameter, match="available"):
        cpu_sets([count])


def test_counts_are_comma_separated_whole_numbers() -> None:
    assert _counts("100,1000, 10000") == [100, 1000, 10000]
    with pytest.raises(click.BadParameter, match="whole numbers"):
        _counts("100,many")


def test_a_point_keeps_its_figures_or_its_error() -> None:
    report = {"ack_p99_ms": 12.5, "lost": 0, "other": 1, "exit": 0}
    assert _pick(report, ("ack_p99_ms", "lost")) == {"ack_p99_ms": 12.5, "lost": 0, "exit": 0}
    assert _pick({"error": "exit 1, no report"}, ("lost",)) == {"error": "exit 1, no report"}
