"""The replies a scenario's users wait for: from an action (a message sent, a
button pressed) to the bot's next delivery in that chat, the latency a user feels.

An action waits from the moment it starts, not from when its request returns:
the bot may answer first. The action reaches the fake API, the bot fetches it
and replies, and the feed shows the reply while the control API's answer to
the action is still on its way back (on a loaded machine the thread that made
the request may wait its turn). A reply that comes while its action is in
flight is kept until the action is known to have happened, so an action the
API refused measures nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, eq=False)
class Awaited:
    """One action waiting for the bot: when it started, when the reply came."""

    chat_id: int
    started: float
    replied: float | None = None
    done: bool = False


class AwaitedReplies:
    """Actions waiting for the bot's reply, by chat; ``latencies`` holds the samples, s."""

    def __init__(self, latencies: list[float]) -> None:
        self.latencies = latencies
        self._waiting: dict[int, list[Awaited]] = {}

    def start(self, chat_id: int, started: float) -> Awaited:
        """An action in ``chat_id`` starts at ``started`` (wall clock, s)."""
        action = Awaited(chat_id, started)
        self._waiting.setdefault(chat_id, []).append(action)
        return action

    def delivered(self, chat_id: int, at: float) -> None:
        """The bot delivered something in ``chat_id`` at ``at``: the reply to what waited.

        An action that started after ``at`` waits on: this delivery is not its reply.
        """
        waiting = self._waiting.pop(chat_id, [])
        later = [a for a in waiting if a.started > at]
        if later:
            self._waiting[chat_id] = later
        for action in waiting:
            if action.started <= at:
                action.replied = at
                if action.done:
                    self._sample(action)

    def finish(self, action: Awaited, happened: bool) -> None:
        """The action's request returned: it ``happened``, or it was refused (no sample)."""
        if not happened:
            self._forget(action)
            return
        action.done = True
        if action.replied is not None:
            self._sample(action)

    def _sample(self, action: Awaited) -> None:
        assert action.replied is not None
        self.latencies.append(max(0.0, action.replied - action.started))

    def _forget(self, action: Awaited) -> None:
        waiting = self._waiting.get(action.chat_id, [])
        if action in waiting:
            waiting.remove(action)
