"""Polls that behave like Telegram's: votes, closing on time or on stopPoll,
and the ``poll`` / ``poll_answer`` updates the bot receives.

- A poll closes at ``close_date`` or ``open_period`` seconds after it was
  sent (whichever the bot gave), or when the bot calls stopPoll.
- The bot gets a ``poll`` update whenever the state of a poll it sent
  changes (a vote, closing), and a ``poll_answer`` for each vote in a
  non-anonymous poll.
- A second vote is refused unless the poll allows revoting; a quiz takes
  exactly one option, a regular poll several only with
  ``allows_multiple_answers``.
- A user who voted in a quiz sees ``correct_option_ids`` and the
  ``explanation``; before voting they see neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from quizbot.sim.api.people import Person
from quizbot.sim.api.state import SimState


class VoteRefused(ValueError):
    """A vote Telegram's client would not let the user cast."""


def closes_at(poll: dict[str, Any], sent_at: float) -> float | None:
    """When the poll closes by itself (wall clock), or None."""
    if "close_date" in poll:
        return float(poll["close_date"])
    if "open_period" in poll:
        return sent_at + float(poll["open_period"])
    return None


def close(state: SimState, poll_id: str) -> dict[str, Any] | None:
    """Close a poll (its time is up); the bot gets the final ``poll`` update."""
    poll = state.poll(poll_id)
    if poll is None or poll["is_closed"]:
        return None
    closed = {**poll, "is_closed": True}
    state.update_poll(closed)
    state.inbox.add({"poll": closed})
    return closed


def close_if_due(state: SimState, poll_id: str, now: float | None = None) -> None:
    """Close the poll now when its close_date / open_period has passed."""
    due = state.poll_deadlines.get(poll_id)
    if due is not None and (now if now is not None else time.time()) >= due:
        close(state, poll_id)


def close_when_due(state: SimState, poll_id: str) -> None:
    """The closing timer: close the poll, or wait again if its time has not come.

    The event loop's timers run on the monotonic clock and a poll's deadline is
    wall-clock time: a timer can fire a hair before the deadline as the wall clock
    reads it, and must not then leave the poll open for good.
    """
    due = state.poll_deadlines.get(poll_id)
    if due is None:
        return
    left = due - state.wall_clock()
    if left <= 0:
        close(state, poll_id)
        return
    with contextlib.suppress(RuntimeError):  # no loop: votes and reads still close it
        asyncio.get_running_loop().call_later(max(left, 0.01), close_when_due, state, poll_id)


def vote(
    state: SimState, person: Person, poll_id: str, option_ids: list[int]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Cast (or, where revoting is allowed, change or retract) ``person``'s vote.

    Returns the poll as the voter sees it, and the ``poll_answer`` update the
    bot gets (None for an anonymous poll).
    """
    close_if_due(state, poll_id, state.wall_clock())
    poll = state.poll(poll_id)
    if poll is None:
        raise VoteRefused("poll_id: no such poll")
    if poll["is_closed"]:
        raise VoteRefused("poll_id: the poll is closed")
    options = sorted(set(option_ids))
    if any(not 0 <= o < len(poll["options"]) for o in options):
        raise VoteRefused(f"option_ids: each must be 0-{len(poll['options']) - 1}")
    multiple = poll["type"] == "regular" and poll.get("allows_multiple_answers", False)
    if len(options) > 1 and not multiple:
        raise VoteRefused("option_ids: this poll takes one option")
    votes = state.people.votes.setdefault(poll_id, {})
    before = votes.get(person.id)
    if before is not None and not poll.get("allows_revoting", False):
        raise VoteRefused("option_ids: this user already voted and the poll allows no revote")
    if not options and before is None:
        raise VoteRefused("option_ids: nothing to retract")
    counts = [o["voter_count"] for o in poll["options"]]
    for o in before or []:
        counts[o] -= 1
    for o in options:
        counts[o] += 1
    if options:
        votes[person.id] = options
    else:
        del votes[person.id]
    updated = {
        **poll,
        "options": [{**o, "voter_count": n} for o, n in zip(poll["options"], counts, strict=True)],
        "total_voter_count": len(votes),
    }
    state.update_poll(updated)
    state.inbox.add({"poll": updated})
    update = None
    if not poll["is_anonymous"]:
        answer = {
            "poll_id": poll_id,
            "user": person.user(),
            "option_ids": options,
            "option_persistent_ids": [poll["options"][o]["persistent_id"] for o in options],
        }
        update = state.inbox.add({"poll_answer": answer})
    return view(updated, options), update


def view(poll: dict[str, Any], mine: list[int] | None) -> dict[str, Any]:
    """The poll as a user sees it: their vote, and a quiz's answer only once they voted."""
    shown = dict(poll)
    if poll["type"] == "quiz" and mine is None and not poll["is_closed"]:
        shown.pop("correct_option_ids", None)
        shown.pop("explanation", None)
    shown["my_option_ids"] = mine or []
    return shown
