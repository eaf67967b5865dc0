"""Fixtures of the simulator's tests: scripted users against their own fake Bot API.

Each test gets its own simulator (no state shared between tests) and a
control client on it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from quizbot.sim.api.app import RunningSim, SimConfig, start_in_thread
from quizbot.sim.client import SimClient


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    """A fake Bot API of this test's own, flood limits off."""
    running = start_in_thread(SimConfig(limits=False))
    yield running
    running.stop()


@pytest.fixture
def client(sim: RunningSim) -> Iterator[SimClient]:
    """The control client of this test's simulator."""
    with SimClient(sim.url) as control:
        yield control


def free_port() -> int:
    """A port free on 127.0.0.1 now, for a server a subprocess will bind."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
