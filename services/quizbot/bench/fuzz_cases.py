"""Generated webhook updates for ``quizbot bench fuzz`` and the fuzz test (hypothesis).

Updates are Telegram-shaped (button presses with real and forged callback
data for one live session, poll votes, commands, my_chat_member, group
migrations), then some are broken: a field anywhere replaced by a value of
another JSON type, boundary integers (2**63, -1, floats, bools), odd unicode
(NUL, RTL marks, emoji, long strings, escaped lone surrogates), deep nesting,
and duplicates (the same update posted twice, as Telegram retries do).

This module needs ``hypothesis`` (the dev extra); :mod:`quizbot.bench.fuzz`
imports it only when a fuzz run starts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

BOUNDARY_INTS = (0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), -(2**63) - 1)
ODD_STRINGS = (
    "\x00",
    "/start\x00",
    "A\x00da",
    "\u202eevil\u202c",
    "\u200f\u200e",
    "🎉🧠" * 20,
    "\ufeff",
    "e\u0301" * 50,
    "x" * 5000,
    "Ada",
    "Quiz night",
    "ünïcödé",
    "",
)
MEMBER_STATUSES = ("member", "kicked", "left", "administrator", "creator", "restricted", "bogus")
COMMANDS = ("help", "start", "quizzes", "top", "me", "play", "live", "stop", "nope")


@dataclass(frozen=True)
class World:
    """The live session the generated presses aim at."""

    session_id: int
    chat_id: int  # the group the session plays in
    first_player: int  # participants are first_player .. first_player + players - 1
    players: int
    options: int
    poll_id: str


@dataclass(frozen=True)
class Case:
    """One body to post, and whether to post it twice (a Telegram retry)."""

    body: bytes
    twice: bool


Poster = Callable[[list[bytes]], list[tuple[int, bytes]]]


# Values of every JSON type, for a field that expects another one.
WRONG_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    1.5,
    -0.0,
    1e300,
    [],
    {},
    [1, [2, [3]]],
    {"id": {"id": None}},
    *BOUNDARY_INTS,
    *ODD_STRINGS,
)


def _text() -> st.SearchStrategy[str]:
    # Mostly from the odd pool: hypothesis' own text is the costlier draw, and a
    # fuzz run must fit in make test's time budget.
    return st.one_of(
        st.sampled_from(ODD_STRINGS), st.sampled_from(ODD_STRINGS), st.text(max_size=12)
    )


def _any_json() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(WRONG_VALUES), st.integers(), st.text(max_size=8))


def _player(world: World) -> st.SearchStrategy[int]:
    members = st.integers(world.first_player, world.first_player + world.players - 1)
    return st.one_of(
        members, members, members, st.integers(1, 2**40), st.sampled_from(BOUNDARY_INTS)
    )


def _user(world: World) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": _player(world), "is_bot": st.just(False), "first_name": _text()},
        optional={"username": _text(), "language_code": st.sampled_from(("en", "de", "", "x\x00"))},
    )


def _callback_data(world: World) -> st.SearchStrategy[str]:
    sid = world.session_id
    option = st.integers(0, world.options - 1)
    return st.one_of(
        option.map(lambda o: f"a:{sid}:0:{o}"),  # a real answer
        option.map(lambda o: f"a:{sid}:0:{o}"),
        st.integers(0, 20).map(lambda o: f"a:{sid}:0:{o}"),  # options that do not exist
        st.integers(1, 5).map(lambda p: f"a:{sid}:{p}:0"),  # questions not asked yet
        st.sampled_from((f"j:{sid}", f"s:{sid}", f"a:{sid + 1}:0:0", f"a:{sid}:00:1")),
        _text(),  # forged
    )


def _chat(world: World) -> st.SearchStrategy[dict[str, Any]]:
    group = st.fixed_dictionaries(
        {
            "id": st.one_of(st.just(world.chat_id), st.integers(-(2**52), -1)),
            "type": st.sampled_from(("group", "supergroup")),
            "title": _text(),
        }
    )
    private = _player(world).map(lambda i: {"id": i, "type": "private", "first_name": "P"})
    return st.one_of(group, private)


def _press(world: World) -> st.SearchStrategy[dict[str, Any]]:
    message = st.fixed_dictionaries(
        {"message_id": st.integers(1, 10**6), "date": st.just(1_700_000_000), "chat": _chat(world)}
    )
    query = st.fixed_dictionaries(
        {
            "id": st.integers(1, 2**62).map(str),
            "from": _user(world),
            "chat_instance": st.just("-1"),
            "data": _callback_data(world),
        },
        optional={"message": message},
    )
    return st.fixed_dictionaries({"callback_query": query})


def _vote(world: World) -> st.SearchStrategy[dict[str, Any]]:
    vote = st.fixed_dictionaries(
        {
            "poll_id": st.one_of(st.just(world.poll_id), _text()),
            "user": _user(world),
            "option_ids": st.lists(st.integers(0, world.options), max_size=2),
        }
    )
    return st.fixed_dictionaries({"poll_answer": vote})


def _command(world: World) -> st.SearchStrategy[dict[str, Any]]:
    args = st.one_of(
        _text(), st.sampled_from((f"join-{world.session_id}", "join-9" * 30, "play-x"))
    )
    text = st.tuples(st.sampled_from(COMMANDS), args).map(lambda c: f"/{c[0]} {c[1]}")
    message = st.fixed_dictionaries(
        {
            "message_id": st.integers(1, 10**6),
            "date": st.just(1_700_000_000),
            "chat": _chat(world),
            "from": _user(world),
            "text": st.one_of(text, _text()),
        }
    )
    return st.fixed_dictionaries({"message": message})


def _member(world: World) -> st.SearchStrategy[dict[str, Any]]:
    change = st.fixed_dictionaries(
        {
            "chat": _chat(world),
            "from": _user(world),
            "date": st.just(1_700_000_000),
            "old_chat_member": st.just({"status": "member"}),
            "new_chat_member": st.sampled_from(MEMBER_STATUSES).map(lambda s: {"status": s}),
        }
    )
    return st.fixed_dictionaries({"my_chat_member": change})


def _migration(world: World) -> st.SearchStrategy[dict[str, Any]]:
    # Never the live session's group: moving it is legitimate, but not what is fuzzed here.
    old = st.integers(-(2**52), -1).filter(lambda i: i != world.chat_id)
    return st.tuples(old, st.integers(-(2**52), -1)).map(
        lambda ids: {
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": ids[0], "type": "group", "title": "g"},
                "migrate_to_chat_id": ids[1],
            }
        }
    )


def _break(update: dict[str, Any], path: list[int], value: Any) -> dict[str, Any]:
    """``update`` with the field that ``path`` picks (at any depth) replaced by ``value``."""
    node: Any = update
    for step in path:
        keys = [k for k in node if k != "update_id"] if isinstance(node, dict) else []
        if not keys:
            break
        key = keys[step % len(keys)]
        if not isinstance(node[key], dict) or step % 3 == 0:
            node[key] = value
            return update
        node = node[key]
    return update


def _cases(world: World, ids: itertools.count[int]) -> st.SearchStrategy[Case]:
    # Built once: building strategies per draw costs hypothesis far more than drawing.
    press = _press(world)
    shape = st.one_of(
        press, press, press, _vote(world), _command(world), _member(world), _migration(world)
    )
    wrong = _any_json()
    paths = st.lists(st.integers(0, 5), min_size=1, max_size=5)
    return _case(shape, wrong, paths, ids)


@st.composite
def _case(
    draw: st.DrawFn,
    shape: st.SearchStrategy[dict[str, Any]],
    wrong: st.SearchStrategy[Any],
    paths: st.SearchStrategy[list[int]],
    ids: itertools.count[int],
) -> Case:
    update = draw(shape)
    if draw(st.integers(0, 3)) == 0:  # a quarter are broken somewhere
        update = _break(update, draw(paths), draw(wrong))
    # Fresh ids from a counter: two different updates never share one (Telegram's
    # guarantee, which the acknowledged-vs-recorded check relies on).
    update_id: Any = next(ids)
    odd = draw(st.integers(0, 15))
    if odd == 0:
        update_id = draw(st.sampled_from((-1, 2**63, 2**64, 1.5, True, "7", None)))
    # The standard encoder writes ints past 64 bits, as a hostile client could.
    body = json.dumps({"update_id": update_id, **update}).encode()
    if odd == 1:  # an escaped lone surrogate: JSON, but not UTF-8
        body = body[:-1] + b', "x": "\\ud800"}'
    elif odd == 2:  # nesting past what any parser here reads
        body = body[:-1] + b', "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    return Case(body=body, twice=draw(st.integers(0, 9)) == 0)


def run_cases(
    world: World,
    post: Poster,
    check: Callable[[list[bytes], list[tuple[int, bytes]]], None],
    *,
    cases: int,
    batch: int = 10,
    random_seed: int | None = None,
) -> None:
    """Generate about ``cases`` updates, post them ``batch`` at a time, ``check`` each batch.

    With ``random_seed`` None the run is derandomized (the same cases every time,
    as ``make test`` needs); ``check`` raising makes hypothesis shrink the batch.
    """
    ids = itertools.count(10**12)

    @settings(
        max_examples=max(1, cases // batch),
        derandomize=random_seed is None,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(_cases(world, ids), min_size=batch, max_size=batch))
    def one_batch(batch_cases: list[Case]) -> None:
        bodies = [body for c in batch_cases for body in ([c.body] * (2 if c.twice else 1))]
        check(bodies, post(bodies))

    test = one_batch if random_seed is None else seed(random_seed)(one_batch)
    test()
