"""Scenario files: parsed into a Scenario, every problem reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizbot.sim.scenario.spec import ScenarioError, Step, load, parse

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "scenarios" / "group-buttons.yml"


def test_the_documented_example_parses() -> None:
    scenario = load(EXAMPLE)
    assert scenario.users == 200
    assert scenario.groups == {"G": "Quiz night"}
    assert scenario.join == ("G",)
    assert scenario.steps == (Step("send", "/start", "G", 1),)
    assert (scenario.press, scenario.within) == ("first", (0.5, 3.0))
    assert (scenario.block_share, scenario.block_after) == (0.1, 3)
    assert (scenario.after_s, scenario.idle_s) == (300.0, 15.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("users:\n  count: 2\nreact:\n  pres: first\n", "s.yml:4: react: unknown key 'pres'"),
        ("users:\n  count: many\n", "s.yml:2: users.count must be an integer"),
        ("users:\n  count: 2\n  join: [H]\n", "s.yml:3: users.join: no group 'H'"),
        (
            "groups: {}\nusers: {count: 1}\nsteps:\n  - chat: G\n",
            "s.yml:4: a step needs exactly one of",
        ),
        (
            "users: {count: 1}\nreact:\n  within: [3, 1]\n",
            "s.yml:3: react.within must be [min_s, max_s]",
        ),
        ("users: {count: 1}\nblock: {share: 2}\n", "s.yml:2: block.share must be 0-1"),
        ("users: {count: 1}\nsteps: [\n", "s.yml:3: not YAML"),
        ("stop: {after_s: 1}\n", "s.yml:1: users: is required"),
    ],
)
def test_a_malformed_scenario_names_its_line(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse(text, "s.yml")
    assert str(caught.value).startswith(expected)


def test_steps_send_documents_inline_queries_leave_groups_and_unblock_at_their_time() -> None:
    scenario = parse(
        """\
groups: {G: {title: Quiz night}}
users: {count: 4, join: [G]}
steps:
  - document: notes.pdf
    mime_type: application/pdf
    caption: my notes
  - inline: capitals
    users: 2
  - leave: G
    after_s: 5
  - unblock: true
    after_s: 9.5
""",
        "s.yml",
    )
    document, inline, leave, unblock = scenario.steps
    assert (document.action, document.value, document.after_s) == ("document", "notes.pdf", 0.0)
    assert (document.mime_type, document.caption) == ("application/pdf", "my notes")
    assert (inline.action, inline.value, inline.users) == ("inline", "capitals", 2)
    assert (leave.action, leave.value, leave.after_s) == ("leave", "G", 5.0)
    assert (unblock.action, unblock.after_s, unblock.users) == ("unblock", 9.5, None)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("  - send: hi\n    inline: q\n", "s.yml:4: a step needs exactly one of"),
        ("  - leave: H\n", "s.yml:4: leave: no group 'H'"),
        ("  - unblock: false\n", "s.yml:4: unblock: must be true"),
        ("  - send: hi\n    caption: c\n", "s.yml:5: caption: only a document step"),
        ("  - inline: q\n    after_s: -1\n", "s.yml:5: after_s must be >= 0"),
    ],
)
def test_a_malformed_step_names_its_line(steps: str, expected: str) -> None:
    text = "groups: {G: {title: T}}\nusers: {count: 1}\nsteps:\n" + steps
    with pytest.raises(ScenarioError) as caught:
        parse(text, "s.yml")
    assert str(caught.value).startswith(expected)
