"""Fixtures of the simulator's tests: scripted users against their own fake Bot API.

Each test gets its own simulator (no state shared between tests) and a
control client on it, from tests/integration/conftest.py.
"""

from __future__ import annotations

import socket

import pytest

from quizbot.sim.client import SimClient


@pytest.fixture
def client(control: SimClient) -> SimClient:
    """The control client of this test's simulator (``sim``, ``control``: tests/integration)."""
    return control


def free_port() -> int:
    """A port free on 127.0.0.1 now, for a server a subprocess will bind."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
