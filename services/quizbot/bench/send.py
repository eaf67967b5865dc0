"""``quizbot bench send``: the sender draining the outbox into the fake Bot API.

Self-contained: a scratch database on the configured (or embedded) PostgreSQL,
pgbouncer in front when installed, the fake Bot API (``quizbot sim api``) and
the sender (``python -m quizbot.sender.main``), each as its own process, as in
production. Two phases, each with a fresh fake API journal:

1. limits lifted (the fake API's and the sender's): ``--messages`` over
   ``--chats`` chats, as fast as it goes;
2. Telegram's default limits (30/s, 1/s per chat with a burst of 3):
   ``--limited-messages`` over ``--limited-chats`` chats (30/s needs at least
   30 chats, since each chat gets one message a second).

Each message's text is its outbox id, so order violations (a chat receiving a
lower id after a higher one) and duplicates come from the fake API's own
journal. Rates run from the commit that filled the outbox to the last call the
fake API accepted. CPU is the sender process's own (/proc), from the moment it
stood idle and ready to the end of the phase.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from quizbot.bench.scratch import Scratch
from quizbot.procstat import process_cpu_s
from quizbot.settings import Settings, load_settings
from quizbot.store.outbox import Message, enqueue, notify
from quizbot.store.pgbouncer import free_port

TOKEN = "123456:BENCH"
FIRST_CHAT = 50_000_000
# Text = the outbox id: order and duplicates are then read off the fake API's journal.
_LABEL = sa.text(
    "UPDATE outbox SET params = jsonb_set(params, '{text}', to_jsonb(id::text)) "
    "WHERE status = 'pending'"
)
_STATUSES = sa.text("SELECT status::text, count(*) FROM outbox GROUP BY 1")


class Process:
    """A child process of this bench with its log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.popen = subprocess.Popen(
            args, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )

    def cpu_s(self) -> float:
        """User + system CPU seconds so far."""
        return process_cpu_s(self.popen.pid)

    def stop(self) -> int:
        """SIGTERM, wait; SIGKILL after 20 s."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


class FakeApi(Process):
    """``quizbot sim api`` on a free port."""

    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "quizbot.cli", "sim", "api", "--port", str(self.port)]
        super().__init__(args, dict(os.environ), work_dir / "sim.log")
        deadline = time.monotonic() + 20
        while True:
            try:
                self.get("/sim/stats")
                return
            except OSError:
                if self.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the fake Bot API did not start; see {self.log}") from None
                time.sleep(0.1)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def calls(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Every accepted call of ``method``, oldest first."""
        out: list[dict[str, Any]] = []
        since = 0
        while True:
            page = self.get(f"/sim/calls?since={since}&limit=10000")["calls"]
            if not page:
                return [c for c in out if c["method"] == method]
            out.extend(page)
            since = page[-1]["seq"]


def order_violations(calls: list[dict[str, Any]]) -> tuple[int, int]:
    """(order violations, duplicates): per chat, each new id must exceed every earlier one."""
    last: dict[int, int] = {}
    seen: set[int] = set()
    violations = duplicates = 0
    for call in calls:
        outbox_id, chat = int(call["params"]["text"]), call["chat_id"]
        if outbox_id in seen:
            duplicates += 1
            continue
        seen.add(outbox_id)
        if outbox_id < last.get(chat, 0):
            violations += 1
        last[chat] = max(outbox_id, last.get(chat, 0))
    return violations, duplicates


def sender_env(scratch: Scratch, api: FakeApi, limited: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=scratch.pooled_url,
        DATABASE_DIRECT_URL=scratch.direct_url,
        TELEGRAM_API_URL=api.url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        LOG_LEVEL="WARNING",
        QUIZBOT_ENV_FILE="",
    )
    for name in ("SEND_RATE_PER_S", "PER_CHAT_PER_S", "PER_CHAT_BURST", "PER_GROUP_PER_MIN"):
        env.pop(name, None)
    if not limited:
        env.update(SEND_RATE_PER_S="0", PER_CHAT_PER_S="0", PER_GROUP_PER_MIN="0")
    return env


def run_phase(
    scratch: Scratch, api: FakeApi, *, messages: int, chats: int, limited: bool, timeout_s: float
) -> dict[str, Any]:
    """Start a sender, fill the outbox, wait for the fake API to have every message."""
    api.post("/sim/reset", {})
    if not limited:
        api.post("/sim/limits", {"enabled": False})
    name = "limited" if limited else "unlimited"
    sender = Process(
        [sys.executable, "-m", "quizbot.sender.main"],
        sender_env(scratch, api, limited),
        scratch.work_dir / f"sender-{name}.log",
    )
    engine = sa.create_engine(scratch.direct_url, poolclass=sa.NullPool)
    try:
        _wait(lambda: api.get("/sim/stats")["by_method"].get("getMe"), 30, sender)
        time.sleep(1.0)  # let start-up settle: its CPU is not the sends'
        cpu_before = sender.cpu_s()
        batch = [
            Message(FIRST_CHAT + i % chats, "sendMessage", {"text": "-"}) for i in range(messages)
        ]
        with engine.begin() as conn:
            enqueue(conn, batch)
            conn.execute(_LABEL)
            notify(conn)
        filled = time.monotonic()
        _wait(lambda: _sent(api) >= messages, timeout_s, sender)
        cpu = sender.cpu_s() - cpu_before
        stats = api.get("/sim/stats")
    finally:
        code = sender.stop()
    calls = api.calls()
    with engine.connect() as conn:
        statuses = {status: n for status, n in conn.execute(_STATUSES)}
        conn.execute(sa.text("TRUNCATE outbox"))
        conn.commit()
    engine.dispose()
    elapsed = max(calls[-1]["mono"] - filled, 1e-9) if calls else float("nan")
    violations, duplicates = order_violations(calls)
    return {
        "messages": messages,
        "chats": chats,
        "msgs_per_s": round(len(calls) / elapsed, 1),
        "elapsed_s": round(elapsed, 2),
        "retry_after_429": stats["rate_limited"],
        "order_violations": violations,
        "duplicates": duplicates,
        "sent": statuses.get("sent", 0),
        "not_sent": sum(n for s, n in statuses.items() if s != "sent"),
        "sender_cpu_s": round(cpu, 2),
        "cpu_s_per_1000": round(cpu / messages * 1000, 3),
        "sender_exit": code,
    }


def _sent(api: FakeApi) -> int:
    return int(api.get("/sim/stats")["by_method"].get("sendMessage", {}).get("200", 0))


def _wait(ready: Any, timeout_s: float, sender: Process) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if sender.popen.poll() is not None:
            raise RuntimeError(f"the sender exited early; see {sender.log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {timeout_s} s; see {sender.log}")
        time.sleep(0.02)


def run(
    settings: Settings,
    *,
    messages: int,
    chats: int,
    limited_messages: int,
    limited_chats: int,
) -> dict[str, Any]:
    """Both phases, and the figures issue 4 tracks."""
    work_dir = Path(settings.quizbot_var_dir) / "bench" / "send"
    work_dir.mkdir(parents=True, exist_ok=True)
    with Scratch(settings, work_dir, purpose="send") as scratch:
        api = FakeApi(work_dir)
        try:
            free = run_phase(
                scratch, api, messages=messages, chats=chats, limited=False, timeout_s=60
            )
            capped = run_phase(
                scratch,
                api,
                messages=limited_messages,
                chats=limited_chats,
                limited=True,
                timeout_s=limited_messages / 30 * 2 + 30,
            )
        finally:
            api.stop()
        pgbouncer = scratch.bouncer is not None
    limit = 30.0
    return {
        "messages": messages,
        "chats": chats,
        "unlimited_msgs_per_s": free["msgs_per_s"],
        "limit_per_s": limit,
        "achieved_per_s": capped["msgs_per_s"],
        "rate_ratio": round(capped["msgs_per_s"] / limit, 3),
        "retry_after_429": free["retry_after_429"] + capped["retry_after_429"],
        "order_violations": free["order_violations"] + capped["order_violations"],
        "cpu_s_per_1000": free["cpu_s_per_1000"],
        "limited_messages": limited_messages,
        "limited_chats": limited_chats,
        "pgbouncer": pgbouncer,
        "cpus": os.cpu_count(),
        "phases": {"unlimited": free, "limited": capped},
    }


@click.command(name="send")
@click.option("--messages", default=10_000, show_default=True, help="Messages, limits lifted.")
@click.option("--chats", default=200, show_default=True, help="Chats they go to, limits lifted.")
@click.option(
    "--limited-messages", default=600, show_default=True, help="Messages at Telegram's limits."
)
@click.option("--limited-chats", default=60, show_default=True, help="Chats, at the limits.")
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
def command(
    messages: int, chats: int, limited_messages: int, limited_chats: int, as_json: bool
) -> None:
    """Outbox to fake Bot API: msgs/s unlimited, rate at the 30/s limit, 429s, order, CPU."""
    report = run(
        load_settings(),
        messages=messages,
        chats=chats,
        limited_messages=limited_messages,
        limited_chats=limited_chats,
    )
    if not as_json:
        free, capped = report["phases"]["unlimited"], report["phases"]["limited"]
        click.echo(
            f"unlimited: {free['msgs_per_s']:,.0f} msgs/s over {chats} chats, "
            f"{free['cpu_s_per_1000']} CPU s/1000; limited: {capped['msgs_per_s']:.1f}/s "
            f"({report['rate_ratio']:.1%} of 30/s), 429s {report['retry_after_429']}, "
            f"order violations {report['order_violations']}",
            err=True,
        )
    click.echo(json.dumps(report, indent=None if as_json else 2))
