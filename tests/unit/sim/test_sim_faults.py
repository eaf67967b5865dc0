"""The fault script: countdowns, seeded probabilities and run-time patches."""

from __future__ import annotations

import pytest

from quizbot.sim.api.faults import FaultConfig, Faults


def test_no_faults_by_default() -> None:
    faults = Faults()
    draws = [faults.transport("sendmessage") for _ in range(100)]
    assert not any(d.error or d.drop or d.delay for d in draws)
    assert faults.chat(5) is None


def test_next_k_calls_fail_then_recover() -> None:
    faults = Faults(FaultConfig(error_next=2))
    assert [faults.transport("sendmessage").error for _ in range(4)] == [True, True, False, False]


def test_probabilities_repeat_with_the_same_seed() -> None:
    def draws(seed: int) -> list[bool]:
        faults = Faults(FaultConfig(error_rate=0.3, seed=seed))
        return [faults.transport("sendmessage").error for _ in range(200)]

    assert draws(7) == draws(7)
    assert 30 < sum(draws(7)) < 90


def test_slow_calls_get_the_configured_delay() -> None:
    faults = Faults(FaultConfig(slow_ms=250))
    assert faults.transport("getme").delay == 0.25


def test_methods_narrow_transport_faults() -> None:
    faults = Faults(FaultConfig(error_next=1, methods={"sendMessage"}))
    assert not faults.transport("getme").error
    assert faults.transport("sendmessage").error


def test_patch_changes_the_script_at_run_time() -> None:
    faults = Faults()
    faults.update({"block": [5, 6], "migrated": {"-7": -1007}, "error_next": 1, "seed": 3})
    faults.update({"unblock": [6]})
    snapshot = faults.snapshot()
    assert snapshot["blocked"] == [5]
    assert snapshot["migrated"] == {"-7": -1007}
    assert snapshot["error_next"] == 1
    error = faults.chat(-7)
    assert error is not None
    assert error.parameters == {"migrate_to_chat_id": -1007}


def test_patch_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="frobnicate"):
        Faults().update({"frobnicate": 1})
