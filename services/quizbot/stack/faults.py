"""Real faults on a running local stack, one at a time.

Each fault is caused for real: a SIGKILL of a process supervisord runs, pgbouncer
or PostgreSQL stopped and started again, or the fake Bot API told (through its
``/sim/faults`` and ``/sim/limits`` control endpoints) to answer like a
misbehaving Telegram. :meth:`Faults.inject` returns when the broken part is
back (restarted by supervisord, started again, or the fault script cleared) and
says when that was, so the caller can measure how long the product takes to
recover from there.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quizbot.procstat import child_pids
from quizbot.stack.local import LocalStack
from quizbot.store.database import embedded_server, stop_embedded

KILLS = ("kill_web_worker", "kill_web_master", "kill_sender", "kill_writer")
OUTAGES = ("pgbouncer_down", "postgres_down")
TELEGRAM = ("telegram_429_storm", "telegram_5xx_burst", "telegram_slow")
# Faults that only make sense in one mode: players blocking the bot in their
# private chats, and the group the quiz runs in becoming a supergroup.
PRIVATE_ONLY = ("players_block_bot",)
GROUP_ONLY = ("group_migrated",)
ALL_KINDS = KILLS + OUTAGES + TELEGRAM + PRIVATE_ONLY + GROUP_ONLY

_PROGRAM = {"kill_sender": "quizbot:sender", "kill_writer": "quizbot:writer"}


def kinds_for(mode: str) -> tuple[str, ...]:
    """The fault kinds a quiz in ``mode`` (group/private) can meet."""
    skip = GROUP_ONLY if mode == "private" else PRIVATE_ONLY
    return tuple(k for k in ALL_KINDS if k not in skip)


@dataclass(frozen=True)
class Durations:
    """How long each outage lasts (s); the bench uses the issue's figures, tests shorter ones."""

    pgbouncer_s: float = 30.0
    postgres_s: float = 15.0
    storm_s: float = 8.0
    burst_s: float = 4.0
    slow_s: float = 8.0
    slow_ms: int = 3000
    block_share: float = 0.10

    def outage(self, kind: str) -> float:
        """Planned outage of ``kind`` in seconds (0 for a kill or a one-off change)."""
        return {
            "pgbouncer_down": self.pgbouncer_s,
            "postgres_down": self.postgres_s,
            "telegram_429_storm": self.storm_s,
            "telegram_5xx_burst": self.burst_s,
            "telegram_slow": self.slow_s,
        }.get(kind, 0.0)


@dataclass
class Injected:
    """One fault as it happened (wall-clock times)."""

    kind: str
    started_at: float
    back_at: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def outage_s(self) -> float:
        """From the fault until the part was back."""
        return self.back_at - self.started_at


class FaultError(RuntimeError):
    """A fault could not be caused, or its part did not come back in time."""


@dataclass
class Faults:
    """Causes faults on ``stack``; ``players_chats`` names the private chats a wave blocks."""

    stack: LocalStack
    durations: Durations = field(default_factory=Durations)
    players_chats: Callable[[], list[int]] = list
    group_chat: Callable[[], int | None] = lambda: None
    back_timeout_s: float = 60.0
    _back: float | None = field(init=False, default=None)

    def inject(self, kind: str, pick: Callable[[list[int]], list[int]]) -> Injected:
        """Cause ``kind`` now and return once its part is back.

        ``pick`` chooses the victims among candidates (a worker pid, the chats
        that block the bot), so a seeded run picks the same ones.
        """
        started = time.time()
        self._back: float | None = None
        detail: dict[str, Any] = {}
        if kind == "kill_web_worker":
            detail = self._kill_worker(pick)
        elif kind == "kill_web_master":
            detail = self._kill_program("quizbot:web")
        elif kind in _PROGRAM:
            detail = self._kill_program(_PROGRAM[kind])
        elif kind == "pgbouncer_down":
            detail = self._pgbouncer_down()
        elif kind == "postgres_down":
            detail = self._postgres_down()
        elif kind in TELEGRAM:
            detail = self._telegram(kind)
        elif kind == "players_block_bot":
            chats = self.players_chats()
            share = max(1, round(len(chats) * self.durations.block_share))
            blocked = pick(chats)[:share]
            self._sim("faults", {"block": blocked})
            detail = {"chats": len(blocked)}
        elif kind == "group_migrated":
            old_id = self.group_chat()
            if old_id is None:
                raise FaultError("no group chat to migrate")
            new_id = -(10**12) - abs(old_id)
            self._sim("faults", {"migrated": {str(old_id): new_id}})
            detail = {"from": old_id, "to": new_id}
        else:
            raise ValueError(f"unknown fault kind {kind!r}")
        return Injected(kind, started, self._back or time.time(), detail)

    # -- processes -------------------------------------------------------------------

    def _kill_worker(self, pick: Callable[[list[int]], list[int]]) -> dict[str, Any]:
        master = self._pid("quizbot:web")
        workers = child_pids(master)
        if not workers:
            raise FaultError("the web tier has no workers to kill")
        victim = pick(workers)[0]
        os.kill(victim, signal.SIGKILL)
        # Back when the master has forked a replacement and has its full count again.
        self._wait(
            lambda: victim not in (now := child_pids(master)) and len(now) >= len(workers),
            "gunicorn did not replace its worker",
        )
        return {"pid": victim}

    def _kill_program(self, program: str) -> dict[str, Any]:
        old = self._pid(program)
        os.kill(old, signal.SIGKILL)

        def spawned() -> bool:
            return self._pid(program) not in (0, old)

        # Back when supervisord has started it again (its start-up time counts
        # towards recovery); then wait until supervisord calls it RUNNING.
        self._wait(spawned, f"supervisord did not restart {program}")
        self._back = time.time()
        self._wait(
            lambda: self.stack.states().get(program) == "RUNNING",
            f"{program} did not reach RUNNING again",
        )
        return {"pid": old, "program": program}

    def _pid(self, program: str) -> int:
        out = self.stack.ctl("pid", program).stdout.strip()
        return int(out) if out.isdigit() else 0

    # -- database --------------------------------------------------------------------

    def _pgbouncer_down(self) -> dict[str, Any]:
        bouncer = self.stack.pgbouncer
        if bouncer is None:
            raise FaultError("pgbouncer is not installed (apt-get install pgbouncer)")
        bouncer.stop()
        time.sleep(self.durations.pgbouncer_s)
        bouncer.start()
        return {"port": bouncer.port}

    def _postgres_down(self) -> dict[str, Any]:
        data = self.stack.embedded_data_dir()
        if data is None:
            raise FaultError("PostgreSQL can be stopped only when the stack runs the embedded one")
        stop_embedded(data, mode="immediate")
        time.sleep(self.durations.postgres_s)
        embedded_server(data)
        return {"mode": "immediate"}

    # -- the fake Bot API --------------------------------------------------------------

    def _telegram(self, kind: str) -> dict[str, Any]:
        d = self.durations
        if kind == "telegram_429_storm":
            # Telegram's own flood control, far tighter than the sender's: real 429s
            # with retry_after for as long as the storm lasts.
            before = self._sim("limits")
            storm = {"global_rate": 1.0, "global_burst": 1.0, "chat_rate": 0.2, "chat_burst": 1.0}
            self._sim("limits", {"enabled": True, **storm})
            time.sleep(d.storm_s)
            keys = ("enabled", *storm)
            self._sim("limits", {k: before[k] for k in keys})
            return storm
        if kind == "telegram_5xx_burst":
            self._sim("faults", {"error_rate": 1.0, "error_status": 502})
            time.sleep(d.burst_s)
            self._sim("faults", {"error_rate": 0.0})
            return {"status": 502}
        self._sim("faults", {"slow_ms": d.slow_ms, "slow_rate": 1.0})
        time.sleep(d.slow_s)
        self._sim("faults", {"slow_ms": 0})
        return {"slow_ms": d.slow_ms}

    def _sim(self, path: str, patch: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if patch is None else json.dumps(patch).encode()
        request = urllib.request.Request(
            f"{self.stack.sim_url}/sim/{path}",
            data=data,
            headers={"Content-Type": "application/json"},
            method="GET" if data is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            answer: dict[str, Any] = json.load(resp)
            return answer

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.back_timeout_s
        while time.monotonic() < deadline:
            try:
                if ready():
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise FaultError(f"{what} within {self.back_timeout_s:.0f} s")
