"""config/gunicorn.conf.py: the settings production runs with, read the way gunicorn reads them."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from typing import Any

import pytest

from quizbot.paths import config_dir


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    monkeypatch.setenv("QUIZBOT_ENV_FILE", "")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(config_dir() / "gunicorn.conf.py"))


def test_workers_bind_and_worker_class_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load(monkeypatch, FASTAPI_WORKERS="3", WEB_BIND="127.0.0.1:8443")
    assert conf["workers"] == 3
    assert conf["bind"] == ["127.0.0.1:8443"]
    assert conf["worker_class"] == "uvicorn_worker.UvicornWorker"


def test_the_master_never_loads_the_app_or_a_database_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load(monkeypatch)
    assert conf["preload_app"] is False
    # What the gunicorn master imports by reading its config, in a fresh interpreter.
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.startswith(('quizbot.web', 'sqlalchemy', 'psycopg2'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(config_dir() / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QUIZBOT_ENV_FILE": ""},
    )
    assert out.stdout.strip() == "[]"


def test_workers_restart_gracefully_and_not_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load(monkeypatch)
    assert conf["graceful_timeout"] > 0 and conf["timeout"] > 0
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["backlog"] >= 2048
    assert conf["accesslog"] is None


def test_tls_is_on_only_with_both_certificate_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "certfile" not in load(monkeypatch, TLS_CERT_FILE="/etc/quizbot/cert.pem")
    monkeypatch.delenv("TLS_CERT_FILE")
    conf = load(monkeypatch, TLS_CERT_FILE="/etc/q/cert.pem", TLS_KEY_FILE="/etc/q/key.pem")
    assert (conf["certfile"], conf["keyfile"]) == ("/etc/q/cert.pem", "/etc/q/key.pem")
