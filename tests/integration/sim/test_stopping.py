"""A fake Bot API that stops while calls are still waiting answers them as a
server going away does (the long poll with what there is, a stalled call with a
closed connection), never with a 500 no fault script asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from quizbot.sim.api.app import SimConfig, start_in_thread
from quizbot.sim.api.faults import FaultConfig

TOKEN = "1:t"


def _in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``call`` on a thread; its response (or the exception it raised) lands in the dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["response"] = call()
        except httpx.HTTPError as exc:
            out["error"] = exc
        out["at"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _until(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "the call never reached the fake API"
        time.sleep(0.02)


def test_a_pending_getupdates_long_poll_is_answered_with_no_updates_when_the_api_stops() -> None:
    sim = start_in_thread(SimConfig(limits=False))
    base = f"{sim.url}/bot{TOKEN}"
    with httpx.Client(timeout=60) as bot, httpx.Client(timeout=10) as control:
        poller, polled = _in_background(lambda: bot.get(f"{base}/getUpdates?timeout=30"))
        feed, fed = _in_background(lambda: control.get(f"{sim.url}/sim/updates?timeout=30"))
        _until(lambda: control.get(f"{sim.url}/sim/stats").json()["in_flight"] >= 1)
        time.sleep(0.5)  # the feed's long poll is waiting too, most likely
        stopping = time.monotonic()
        sim.stop(timeout=10)
        poller.join(10)
        feed.join(10)
    assert not sim.thread.is_alive()
    response = polled["response"]
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "result": []}
    assert polled["at"] - stopping < 5  # at once, not after its 30 s
    # A feed request that came too late on a loaded machine found no server: fine too.
    if "response" in fed:
        assert fed["response"].status_code == 200, fed["response"].text
        assert fed["response"].json()["updates"] == []


def test_a_call_stalled_by_a_slow_fault_loses_its_connection_when_the_api_stops() -> None:
    faults = FaultConfig(slow_ms=30_000, methods={"sendMessage"})
    sim = start_in_thread(SimConfig(limits=False, faults=faults))
    with httpx.Client(timeout=60) as bot, httpx.Client(timeout=10) as control:
        url = f"{sim.url}/bot{TOKEN}/sendMessage"
        sender, sent = _in_background(lambda: bot.post(url, json={"chat_id": 5, "text": "hi"}))
        _until(lambda: control.get(f"{sim.url}/sim/stats").json()["in_flight"] >= 1)
        stopping = time.monotonic()
        sim.stop(timeout=10)
        sender.join(10)
    assert "response" not in sent, sent["response"].text  # no answer at all, not a 500
    assert isinstance(sent["error"], httpx.TransportError)
    assert sent["at"] - stopping < 5
