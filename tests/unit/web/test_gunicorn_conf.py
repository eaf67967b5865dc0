"""config/gunicorn.conf.py: the settings production runs with, read the way gunicorn reads them."""

from __future__ import annotations

import json
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


def test_the_master_preloads_the_app_but_holds_no_engine_socket_or_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load(monkeypatch)
    assert conf["preload_app"] is True
    # What the gunicorn master holds after reading its config and importing the
    # app, in a fresh interpreter: whatever it holds, every worker would share.
    probe = """
import gc, importlib, json, os, runpy, sys, threading
conf = runpy.run_path(sys.argv[1])
module, _, name = conf["wsgi_app"].partition(":")
app = getattr(importlib.import_module(module), name)
from sqlalchemy.engine import Engine
def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the descriptor listdir itself had open
        return ""
fds = [target(fd) for fd in os.listdir("/proc/self/fd")]
print(json.dumps({
    "app": type(app).__name__,
    "threads": threading.active_count(),
    "sockets": [fd for fd in fds if fd.startswith("socket:")],
    "engines": sum(isinstance(o, Engine) for o in gc.get_objects()),
}))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe, str(config_dir() / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QUIZBOT_ENV_FILE": ""},
    )
    held = json.loads(out.stdout.strip().splitlines()[-1])
    assert held == {"app": "Starlette", "threads": 1, "sockets": [], "engines": 0}


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
