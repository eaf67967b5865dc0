"""SimConfig.from_cli turns command-line values into a simulator config."""

from __future__ import annotations

from quizbot.sim.api.config import SimConfig


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
    )
    assert config.limits is False
    assert (config.rates.global_rate, config.rates.global_burst) == (100, 100)
    assert config.faults.blocked == {5, 6}
    assert config.faults.migrated == {-4001: -1000000004001}
    assert (config.faults.error_rate, config.faults.slow_ms, config.faults.seed) == (0.1, 200, 9)


def test_bot_id_comes_from_the_token_when_one_is_set() -> None:
    assert SimConfig(token="987654:abc").bot_user()["id"] == 987654
    assert SimConfig().bot_user()["username"] == "quizbot_sim_bot"
