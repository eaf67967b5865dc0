"""In-process statsd aggregation: exact counters, bounded timer samples."""

from __future__ import annotations

from quizbot.web.meter import TIMER_CAP, Meter


def test_counters_add_up_between_flushes_and_in_totals() -> None:
    meter = Meter()
    meter.incr("answers.accepted")
    meter.incr("answers.accepted", 4)
    assert meter.counters["answers.accepted"] == 5
    assert meter.totals["answers.accepted"] == 5


def test_timers_keep_at_most_the_cap_of_samples_per_interval() -> None:
    meter = Meter()
    for value in range(TIMER_CAP * 3):
        meter.timing("http.webhook", float(value))
    samples = meter.timers["http.webhook"]
    assert len(samples) == TIMER_CAP
    assert max(samples) >= TIMER_CAP  # later samples replace earlier ones, uniformly


def test_a_request_is_counted_by_route_and_status_and_timed() -> None:
    meter = Meter()
    meter.request("webhook", 200, started=0.0)
    assert meter.counters["http.webhook.200"] == 1
    assert len(meter.timers["http.webhook"]) == 1
