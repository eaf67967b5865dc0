"""Settings: read once, required values named, every setting documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizbot.settings import MissingSetting, load_settings, setting_names

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "quizbot.env.example"


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.database_url is None
    assert settings.fastapi_workers == 2
    assert settings.sender_workers == 10
    assert settings.send_rate_per_s == 30.0


def test_values_come_from_the_environment_with_types() -> None:
    settings = load_settings(
        {"FASTAPI_WORKERS": "4", "PAID_BROADCAST": "true", "SEND_RATE_PER_S": "1000"}
    )
    assert settings.fastapi_workers == 4
    assert settings.paid_broadcast is True
    assert settings.send_rate_per_s == 1000.0


@pytest.mark.parametrize("name", ["WEBHOOK_SECRET", "TELEGRAM_BOT_TOKEN"])
def test_a_missing_required_setting_names_the_variable(name: str) -> None:
    with pytest.raises(MissingSetting, match=name):
        load_settings({}).require(name)


def test_a_required_setting_that_is_set_is_returned() -> None:
    assert load_settings({"WEBHOOK_SECRET": "s3cret"}).require("WEBHOOK_SECRET") == "s3cret"


def test_a_bad_value_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="FASTAPI_WORKERS"):
        load_settings({"FASTAPI_WORKERS": "many"})
    with pytest.raises(ValueError, match="COMMIT_MODE"):
        load_settings({"COMMIT_MODE": "sometimes"})


def test_every_setting_is_documented_in_the_env_example() -> None:
    text = EXAMPLE.read_text()
    missing = [name for name in setting_names() if f"{name}=" not in text]
    assert missing == []
