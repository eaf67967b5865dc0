"""The sender's statsd metrics, summed in memory and sent once per interval.

At a thousand messages a second, one UDP packet per counter bump would cost
more CPU than the sends themselves; counters are summed here and timers kept
(a bounded sample of them) until :meth:`Meters.flush` sends everything
through one statsd pipeline, which packs many lines per packet.

Names (under ``<STATSD_PREFIX>.sender``): ``send.<method>.<outcome>``
(counters; outcome sent, retry, dead, dropped, migrated, 429, and blocked: dropped
unsent at the claim because the chat had blocked the bot), ``429.<scope>``
(chat or global), ``send_ms`` (Bot API call latency), ``lag_ms`` (enqueue to
delivery), ``queue.pending`` (rows waiting in the database),
``queue.oldest_pending_s`` (age of the oldest of them), ``queue.claimed``
(rows held in lanes), ``queue.held`` (rows behind a retry), ``db_up`` and
``lock_held`` (1/0, from ``store.program_status``), ``token_rejected`` (1
while Telegram answers 401 to the token, see ``sender.token``), ``claims.recovered``
(another sender's claims returned to pending: each may be sent twice).
"""

from __future__ import annotations

from collections import Counter

import statsd

SAMPLES_PER_FLUSH = 200


class Meters:
    """In-memory counters, timers and gauges for one statsd client."""

    def __init__(self, client: statsd.StatsClient) -> None:
        self._client = client
        self.counts: Counter[str] = Counter()
        self._timings: dict[str, list[float]] = {}
        self._gauges: dict[str, float] = {}
        # Every counter summed since start, for logs and the bench.
        self.totals: Counter[str] = Counter()

    def incr(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name``."""
        self.counts[name] += n

    def timing(self, name: str, ms: float) -> None:
        """Record one duration in milliseconds (the first SAMPLES_PER_FLUSH per interval)."""
        samples = self._timings.setdefault(name, [])
        if len(samples) < SAMPLES_PER_FLUSH:
            samples.append(ms)

    def gauge(self, name: str, value: float) -> None:
        """Set gauge ``name``."""
        self._gauges[name] = value

    def flush(self) -> None:
        """Send everything recorded since the last flush."""
        if not (self.counts or self._timings or self._gauges):
            return
        pipe = self._client.pipeline()
        for name, n in self.counts.items():
            pipe.incr(name, n)
        for name, samples in self._timings.items():
            for ms in samples:
                pipe.timing(name, ms)
        for name, value in self._gauges.items():
            pipe.gauge(name, value)
        self.totals.update(self.counts)
        self.counts.clear()
        self._timings.clear()
        self._gauges.clear()
        pipe.send()
