"""Probes: is the web tier acknowledging answers, and is the bot sending, right now?

Several times a second the probe posts a button press to the webhook, the way
Telegram would, for a question that does not exist. It takes the same path as
a player's answer (the secret check, the group commit, one database round trip)
and only a committed batch returns 200, yet it records no answer, so the
quiz's ground truth is untouched. Each probe is tried once; its send time,
status and acknowledgement time are kept for the chaos report.

Once a second, one of a few probe users also sends ``/help`` in its private
chat. The bot's reply goes through the outbox and the sender like every
message, so a message is always due within a second of any moment: the chaos
report measures each fault's delivery recovery on the next one, instead of
waiting for the quiz's next question (which may come after the next fault).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson

PROBE_USER_ID = 8_999_000_001
# Far below the swarm's update ids (microseconds since the epoch) and any real ones.
FIRST_UPDATE_ID = 10**14
FIRST_COMMAND_UPDATE_ID = FIRST_UPDATE_ID + 10**12
# Private chats that ask for /help in turn: each one well within Telegram's
# one message a second per chat.
COMMAND_USERS = tuple(PROBE_USER_ID + n for n in range(1, 5))
COMMAND_EVERY = 4  # answer probes per /help
NO_SESSION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe: when it was sent, its HTTP status (0: no answer) and when it came back."""

    sent_at: float
    status: int
    done_at: float

    @property
    def acknowledged(self) -> bool:
        """A 2xx: the answer path committed."""
        return 200 <= self.status < 300


@dataclass
class AnswerProbe:
    """Posts a probe press every ``interval_s`` from a background thread until stopped."""

    webhook_url: str
    secret: str
    interval_s: float = 0.25
    timeout_s: float = 15.0
    results: list[ProbeResult] = field(default_factory=list)
    commands: list[ProbeResult] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> AnswerProbe:
        """Start probing in the background."""
        self._thread = threading.Thread(target=self._run, name="answer-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[ProbeResult]:
        """Stop probing, wait for the probes in flight, and return every result."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout_s + 5)
        return sorted(self.results, key=lambda r: r.sent_at)

    def _run(self) -> None:
        # A probe in flight during an outage waits up to timeout_s; a small pool
        # keeps probing meanwhile, so the first acknowledgement is seen at once.
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="probe") as pool:
            n = 0
            while not self._stop.wait(self.interval_s):
                n += 1
                pool.submit(self._probe, FIRST_UPDATE_ID + n)
                if n % COMMAND_EVERY == 0:
                    k = n // COMMAND_EVERY
                    user = COMMAND_USERS[k % len(COMMAND_USERS)]
                    pool.submit(self._help, FIRST_COMMAND_UPDATE_ID + k, user)

    def _probe(self, update_id: int) -> None:
        chat = {"id": PROBE_USER_ID, "type": "private", "first_name": "Probe"}
        self.results.append(
            self._post(
                {
                    "update_id": update_id,
                    "callback_query": {
                        "id": f"probe-{update_id}",
                        "from": {"id": PROBE_USER_ID, "is_bot": False, "first_name": "Probe"},
                        "message": {"message_id": 1, "date": int(time.time()), "chat": chat},
                        "chat_instance": "probe",
                        "data": f"a:{NO_SESSION}:0:0",
                    },
                }
            )
        )

    def _help(self, update_id: int, user_id: int) -> None:
        user = {"id": user_id, "is_bot": False, "first_name": "Probe"}
        chat = {"id": user_id, "type": "private", "first_name": "Probe"}
        message = {"message_id": update_id % 2**31, "date": int(time.time()), "chat": chat}
        entity = {"type": "bot_command", "offset": 0, "length": 5}
        message.update({"from": user, "text": "/help", "entities": [entity]})
        self.commands.append(self._post({"update_id": update_id, "message": message}))

    def _post(self, body: dict[str, object]) -> ProbeResult:
        request = urllib.request.Request(
            self.webhook_url,
            data=orjson.dumps(body),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": self.secret,
            },
        )
        sent = time.time()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return ProbeResult(sent, status, time.time())
