"""SimConfig.from_cli turns command-line values into a simulator config."""

from __future__ import annotations

import time

from quizbot.sim.api.config import SimConfig
from quizbot.sim.api.engine import FakeTelegram


def test_from_cli_defaults_are_telegrams_limits() -> None:
    config = SimConfig.from_cli()
    assert config.limits is True
    assert (config.rates.global_rate, config.rates.global_burst) == (30.0, 30.0)
    assert (config.rates.chat_rate, config.rates.chat_burst) == (1.0, 3.0)
    assert config.rates.group_per_minute == 20.0
    assert config.rates.paid_rate == 1000.0


def test_from_cli_reads_limits_and_faults() -> None:
    config = SimConfig.from_cli(
        rate=100,
        no_limits=True,
        blocked=["5", "6"],
        migrated=["-4001=-1000000004001"],
        error_rate=0.1,
        slow_ms=200,
        seed=9,
        webhook_rtt_ms=80,
    )
    assert config.limits is False
    assert (config.rates.global_rate, config.rates.global_burst) == (100, 100)
    assert config.faults.blocked == {5, 6}
    assert config.faults.migrated == {-4001: -1000000004001}
    assert (config.faults.error_rate, config.faults.slow_ms, config.faults.seed) == (0.1, 200, 9)
    assert config.webhook_round_trip_s == 0.08


def test_bot_id_comes_from_the_token_when_one_is_set() -> None:
    assert SimConfig(token="987654:abc").bot_user()["id"] == 987654
    assert SimConfig().bot_user()["username"] == "quizbot_sim_bot"


def test_a_restarted_simulator_numbers_updates_above_those_it_gave_before() -> None:
    # The bot drops an update_id it has processed: a simulator restarted against
    # the same bot that numbered from 1 again would have its updates ignored.
    before = FakeTelegram(SimConfig.from_cli())
    given = [before.state.inbox.add({"message": {"text": str(n)}}) for n in range(100)]
    time.sleep(0.01)  # a restart takes longer than this
    after = FakeTelegram(SimConfig.from_cli())
    first_after = after.state.inbox.add({"message": {"text": "again"}})["update_id"]
    assert first_after > max(u["update_id"] for u in given)
    assert SimConfig().first_update_id == 1  # tests' own simulators stay predictable
