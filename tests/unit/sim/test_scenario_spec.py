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
    assert scenario.steps == (Step("/start", "G", 1),)
    assert (scenario.press, scenario.within) == ("first", (0.5, 3.0))
    assert (scenario.block_share, scenario.block_after) == (0.1, 3)
    assert (scenario.after_s, scenario.idle_s) == (300.0, 15.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("users:\n  count: 2\nreact:\n  pres: first\n", "s.yml:4: react: unknown key 'pres'"),
        ("users:\n  count: many\n", "s.yml:2: users.count must be an integer"),
        ("users:\n  count: 2\n  join: [H]\n", "s.yml:3: users.join: no group 'H'"),
        ("groups: {}\nusers: {count: 1}\nsteps:\n  - chat: G\n", "s.yml:4: a step needs send:"),
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
