"""statsd metrics: one client per process, created after fork.

Every program emits through :func:`client`; UDP is fire-and-forget, so a missing
receiver never slows the hot path.
"""

from __future__ import annotations

import statsd

from quizbot.settings import Settings

_client: statsd.StatsClient | None = None


def configure(settings: Settings, role: str) -> statsd.StatsClient:
    """Create this process's client, prefixed ``<STATSD_PREFIX>.<role>``."""
    global _client
    _client = statsd.StatsClient(
        settings.statsd_host, settings.statsd_port, prefix=f"{settings.statsd_prefix}.{role}"
    )
    return _client


def client() -> statsd.StatsClient:
    """The process's client; a no-op-safe default (localhost:8125) before configure()."""
    global _client
    if _client is None:
        _client = statsd.StatsClient("127.0.0.1", 8125, prefix="quizbot")
    return _client
