"""The simulator's Python client, where a script looks for it first.

The client lives with the scripted users (:mod:`quizbot.sim.users.client`);
this module names it at the top of the package.
"""

from __future__ import annotations

from quizbot.sim.users.client import ControlRefused, SimClient, User

__all__ = ["ControlRefused", "SimClient", "User"]
