"""`quizbot set-webhook` registers the webhook with Telegram (the simulator here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from quizbot.sim.api.app import start_in_thread


def test_set_webhook_sends_url_secret_and_max_connections(tmp_path: Path) -> None:
    with start_in_thread() as sim:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "123:ABC",
            "TELEGRAM_API_URL": sim.url,
            "WEBHOOK_PUBLIC_URL": "https://quiz.example.org:8443/telegram/webhook",
            "WEBHOOK_SECRET": "s3cret-token",
            "WEBHOOK_MAX_CONNECTIONS": "80",
        }
        result = subprocess.run(
            [sys.executable, "-m", "quizbot.cli", "set-webhook"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert "webhook set: https://quiz.example.org:8443/telegram/webhook" in result.stdout
        with urllib.request.urlopen(f"{sim.url}/sim/calls") as resp:
            calls = json.load(resp)["calls"]
    set_calls = [c for c in calls if c["method"].lower() == "setwebhook"]
    assert len(set_calls) == 1
    params = set_calls[0]["params"]
    assert params["secret_token"] == "s3cret-token"
    assert int(params["max_connections"]) == 80
    assert "callback_query" in str(params["allowed_updates"])
    # The command menus: each scope in each language, and the default (English) one.
    menus = {
        (c["params"]["scope"]["type"], c["params"].get("language_code")): c["params"]["commands"]
        for c in calls
        if c["method"] == "setMyCommands"
    }
    assert set(menus) == {
        (scope, language)
        for scope in ("all_private_chats", "all_group_chats")
        for language in (None, "en", "es", "ru")
    }
    private_ru = {c["command"]: c["description"] for c in menus[("all_private_chats", "ru")]}
    assert private_ru["language"] == "Сменить мой язык"
    groups_es = {c["command"]: c["description"] for c in menus[("all_group_chats", "es")]}
    assert groups_es["live"] == "Empezar un quiz en directo en este grupo"
    assert menus[("all_private_chats", None)] == menus[("all_private_chats", "en")]
    for language in (None, "en", "es", "ru"):  # an author's figures are a command away
        assert "stats" in {c["command"] for c in menus[("all_private_chats", language)]}


def test_set_webhook_without_a_token_names_the_missing_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "quizbot.cli", "set-webhook"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
