"""Scenario files: users to play against a bot, written in YAML.

    # 200 users join group G, press the first button of every message within
    # 0.5-3 s, and 10% block the bot after the third message.
    groups:
      G: {title: Quiz night}
    users:
      count: 200
      join: [G]
    steps:
      - send: /start
        chat: G
        users: 1            # only the first user
      - document: notes.pdf # a file (optional mime_type, caption)
        after_s: 2          # seconds after the start
      - inline: capitals    # an inline query, "@bot capitals"
      - leave: G            # leave a group
        after_s: 20
      - unblock: true       # the step's users who block the bot unblock it (at once if later)
        after_s: 30
    react:
      press: first          # first | random | a button's text | none
      vote: random          # first | random | none
      within: [0.5, 3.0]
    block:
      share: 0.1
      after_messages: 3
    stop:
      after_s: 120          # at most
      idle_s: 10            # or once the bot has been quiet this long

Every problem is reported with the line it is on (:class:`ScenarioError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ScenarioError(ValueError):
    """A malformed scenario; the message starts with ``file:line:``."""


# What a step can have its users do; its value is the text, the file's name,
# the query, the group to leave, or (unblock) nothing.
STEP_ACTIONS = ("send", "document", "inline", "leave", "unblock")


@dataclass(frozen=True)
class Step:
    """What some users do once, ``after_s`` seconds after the scenario starts."""

    action: str  # one of STEP_ACTIONS
    value: str  # send: the text; document: the file's name; inline: the query; leave: the group
    chat: str = "private"  # where a send or document goes: a group's name, or "private"
    users: int | None = None  # the first N users; None: all
    after_s: float = 0.0
    mime_type: str | None = None  # document only
    caption: str | None = None  # document only


@dataclass(frozen=True)
class Scenario:
    """A parsed, checked scenario."""

    users: int
    name: str = "User {i}"
    first_user_id: int = 200_000_001
    groups: dict[str, str] = field(default_factory=dict)  # name -> title
    supergroup: dict[str, bool] = field(default_factory=dict)
    join: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    press: str = "none"
    vote: str = "none"
    within: tuple[float, float] = (0.5, 3.0)
    block_share: float = 0.0
    block_after: int = 0
    after_s: float = 60.0
    idle_s: float = 10.0
    seed: int = 1
    token: str | None = None


class _Reader:
    """Reads a YAML node tree, remembering lines for the error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, message: str) -> ScenarioError:
        return ScenarioError(f"{self.source}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node, where: str, known: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where} must be a mapping")
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in known:
                choices = ", ".join(sorted(known))
                raise self.fail(key, f"{where}: unknown key {name!r} (expected one of {choices})")
            out[name] = value
        return out

    def scalar(self, node: yaml.Node, where: str, kind: type) -> Any:
        value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
            raise self.fail(node, f"{where} must be {names[kind]}")
        return value

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where} must be a list")
        return list(node.value)


def load(path: str | Path) -> Scenario:
    """Parse and check the scenario file at ``path``."""
    text = Path(path).read_text("utf-8")
    return parse(text, str(path))


def parse(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and check a scenario's YAML text."""
    r = _Reader(source)
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ScenarioError(f"{source}:{line}: not YAML: {exc.problem}") from None
    if root is None:
        raise ScenarioError(f"{source}:1: the scenario is empty")
    top = r.mapping(
        root,
        "the scenario",
        {"groups", "users", "steps", "react", "block", "stop", "seed", "token"},
    )
    if "users" not in top:
        raise r.fail(root, "users: is required")
    out: dict[str, Any] = {}
    groups: dict[str, str] = {}
    supergroup: dict[str, bool] = {}
    if "groups" in top:
        node = top["groups"]
        if not isinstance(node, yaml.MappingNode):
            raise r.fail(node, "groups must be a mapping of name: {title: ...}")
        for key, value in node.value:
            name = r.scalar(key, "a group's name", str)
            g = r.mapping(value, f"groups.{name}", {"title", "supergroup"})
            groups[name] = r.scalar(g["title"], "title", str) if "title" in g else name
            big = r.scalar(g["supergroup"], "supergroup", bool) if "supergroup" in g else True
            supergroup[name] = big
    users = r.mapping(top["users"], "users", {"count", "name", "first_id", "join"})
    if "count" not in users:
        raise r.fail(top["users"], "users.count is required")
    out["users"] = r.scalar(users["count"], "users.count", int)
    if not 1 <= out["users"] <= 100_000:
        raise r.fail(users["count"], "users.count must be 1-100000")
    if "name" in users:
        out["name"] = r.scalar(users["name"], "users.name", str)
    if "first_id" in users:
        out["first_user_id"] = r.scalar(users["first_id"], "users.first_id", int)
    join = []
    for node in r.sequence(users["join"], "users.join") if "join" in users else []:
        name = r.scalar(node, "users.join", str)
        if name not in groups:
            raise r.fail(node, f"users.join: no group {name!r} under groups")
        join.append(name)
    out["join"] = tuple(join)
    out["steps"] = tuple(
        _step(r, node, groups)
        for node in (r.sequence(top["steps"], "steps") if "steps" in top else [])
    )
    if "react" in top:
        react = r.mapping(top["react"], "react", {"press", "vote", "within"})
        if "press" in react:
            out["press"] = str(r.scalar(react["press"], "react.press", str))
        if "vote" in react:
            out["vote"] = r.scalar(react["vote"], "react.vote", str)
            if out["vote"] not in ("first", "random", "none"):
                raise r.fail(react["vote"], "react.vote must be first, random or none")
        if "within" in react:
            bounds = [
                r.scalar(n, "react.within", float)
                for n in r.sequence(react["within"], "react.within")
            ]
            if len(bounds) != 2 or not 0 <= bounds[0] <= bounds[1]:
                raise r.fail(
                    react["within"], "react.within must be [min_s, max_s] with 0 <= min <= max"
                )
            out["within"] = (bounds[0], bounds[1])
    if "block" in top:
        block = r.mapping(top["block"], "block", {"share", "after_messages"})
        out["block_share"] = (
            r.scalar(block["share"], "block.share", float) if "share" in block else 0.0
        )
        if not 0 <= out["block_share"] <= 1:
            raise r.fail(block["share"], "block.share must be 0-1")
        out["block_after"] = (
            r.scalar(block["after_messages"], "block.after_messages", int)
            if "after_messages" in block
            else 0
        )
    if "stop" in top:
        stop = r.mapping(top["stop"], "stop", {"after_s", "idle_s"})
        if "after_s" in stop:
            out["after_s"] = r.scalar(stop["after_s"], "stop.after_s", float)
        if "idle_s" in stop:
            out["idle_s"] = r.scalar(stop["idle_s"], "stop.idle_s", float)
    if "seed" in top:
        out["seed"] = r.scalar(top["seed"], "seed", int)
    if "token" in top:
        out["token"] = r.scalar(top["token"], "token", str)
    return Scenario(groups=groups, supergroup=supergroup, **out)


def _step(r: _Reader, node: yaml.Node, groups: dict[str, str]) -> Step:
    known = {*STEP_ACTIONS, "chat", "users", "after_s", "mime_type", "caption"}
    s = r.mapping(node, "a step", known)
    actions = [name for name in STEP_ACTIONS if name in s]
    if len(actions) != 1:
        raise r.fail(node, f"a step needs exactly one of {', '.join(STEP_ACTIONS)}:")
    action = actions[0]
    if action == "unblock":
        if r.scalar(s["unblock"], "unblock", bool) is not True:
            raise r.fail(s["unblock"], "unblock: must be true")
        value = ""
    else:
        value = r.scalar(s[action], action, str)
    if action == "leave" and value not in groups:
        raise r.fail(s["leave"], f"leave: no group {value!r} under groups")
    for name in ("mime_type", "caption"):
        if name in s and action != "document":
            raise r.fail(s[name], f"{name}: only a document step has one")
    chat = r.scalar(s["chat"], "chat", str) if "chat" in s else "private"
    if chat != "private" and chat not in groups:
        raise r.fail(s["chat"], f"chat: no group {chat!r} under groups (or say private)")
    after = r.scalar(s["after_s"], "after_s", float) if "after_s" in s else 0.0
    if after < 0:
        raise r.fail(s["after_s"], "after_s must be >= 0")
    return Step(
        action=action,
        value=value,
        chat=chat,
        users=r.scalar(s["users"], "users", int) if "users" in s else None,
        after_s=after,
        mime_type=r.scalar(s["mime_type"], "mime_type", str) if "mime_type" in s else None,
        caption=r.scalar(s["caption"], "caption", str) if "caption" in s else None,
    )
