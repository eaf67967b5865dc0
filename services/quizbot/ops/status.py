"""``quizbot status``: the figures an operator watches, each with where it came from.

A figure is ``{"value": ..., "source": ...}``, or ``{"error": ..., "source": ...}``
when its source did not answer (a non-root user cannot read supervisor's socket,
Prometheus may not exist). One missing source never hides the others.

Sources: ``supervisor`` (its XML-RPC socket), ``postgresql`` (the database the
programs use), ``pgbouncer`` (its admin console), ``prometheus`` (statsd through
collectd, when ``PROMETHEUS_URL`` is set).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from quizbot.ops import probes
from quizbot.settings import Settings
from quizbot.store.database import create_engine, normalize_url, resolve_urls
from quizbot.store.replica import replica_lag_s

# Window for rates read from PostgreSQL: long enough to smooth a question's burst.
RATE_WINDOW_S = 30

OUTBOX = sa.text(
    """
    SELECT count(*) FILTER (WHERE status = 'pending'),
           count(*) FILTER (WHERE status = 'claimed'),
           EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status = 'pending'))
    FROM outbox WHERE status IN ('pending', 'claimed')
    """
)
LIVE_SESSIONS = sa.text(
    """
    SELECT CAST(mode AS text), count(*), coalesce(sum(participant_count), 0) FROM sessions
    WHERE status IN ('lobby', 'question', 'reveal') GROUP BY mode
    """
)
# Answers of live sessions only: the answers key starts with session_id, so this
# reads a few index ranges, never the whole history.
RECENT_ANSWERS = sa.text(
    """
    SELECT count(*) FROM answers a JOIN sessions s ON s.id = a.session_id
    WHERE s.status IN ('question', 'reveal', 'lobby')
      AND a.answered_at > now() - make_interval(secs => :window)
    """
)
LAST_OUTBOX_ERRORS = sa.text(
    """
    SELECT id, method, chat_id, CAST(status AS text), error FROM outbox
    WHERE status IN ('dead', 'dropped') AND error IS NOT NULL
    ORDER BY id DESC LIMIT 5
    """
)
# statsd names as collectd's write_prometheus exposes them (docs/operations.md).
PROMQL = {
    "answers_per_s": 'sum(rate(collectd_statsd_derive_total{statsd=~"quizbot\\\\.web\\\\.answers\\\\..+"}[1m]))',
    "ack_p99_ms": '1000 * max(collectd_statsd_latency{statsd="quizbot.web.http.webhook-percentile-99"})',
    "retry_after_429_per_min": 'sum(increase(collectd_statsd_derive_total{statsd=~"quizbot\\\\.sender\\\\.429\\\\..+"}[1m]))',
}


class Unavailable(RuntimeError):
    """A figure's source did not answer; the message is the reason, shown as is."""


def reason(exc: BaseException) -> str:
    """One line saying why a read failed (the driver's message, not the wrappers')."""
    if isinstance(exc, Unavailable):
        return str(exc)
    inner = getattr(exc, "orig", None) or exc
    first = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(inner).__name__}: {first}"[:300]


def figure(source: str, read: Callable[[], Any]) -> dict[str, Any]:
    """Run one read; its value, or the reason it failed, tagged with its source."""
    try:
        return {"value": read(), "source": source}
    except Exception as exc:  # a source that is away is a figure to show, not a crash
        return {"error": reason(exc), "source": source}


def collect(settings: Settings) -> dict[str, Any]:
    """Every figure of the status screen, as JSON-ready data."""
    urls = resolve_urls(settings)
    engine = create_engine(
        urls.pooled, settings, application_name="quizbot-status", poolclass=sa.NullPool
    )
    try:
        with engine.connect() as conn:
            db = _database_figures(conn)
    except Exception as exc:  # the screen still shows supervisor and pgbouncer
        db = {"error": reason(exc)}
    finally:
        engine.dispose()

    def from_db(key: str) -> Any:
        if "error" in db:
            raise Unavailable(db["error"])
        return db[key]

    status: dict[str, Any] = {
        "at": time.time(),
        "programs": figure("supervisor", lambda: probes.program_states(settings.supervisor_url)),
        "outbox": figure("postgresql", lambda: from_db("outbox")),
        "live_sessions": figure("postgresql", lambda: from_db("live_sessions")),
        "pgbouncer_pools": figure("pgbouncer", lambda: _pools(settings, urls.pooled)),
        "replica_lag_s": _replica_lag(settings),
    }
    status |= _statsd_figures(settings, db)
    status["last_errors"] = {
        "outbox": figure("postgresql", lambda: from_db("outbox_errors")),
        "programs": figure("supervisor", lambda: probes.program_errors(settings.supervisor_url)),
    }
    return status


def _database_figures(conn: sa.Connection) -> dict[str, Any]:
    pending, claimed, oldest = conn.execute(OUTBOX).one()
    sessions = {m: {"sessions": n, "players": int(p)} for m, n, p in conn.execute(LIVE_SESSIONS)}
    recent = conn.scalar(RECENT_ANSWERS, {"window": RATE_WINDOW_S}) or 0
    errors = [
        {"id": i, "method": m, "chat_id": c, "status": s, "error": (e or "")[:200]}
        for i, m, c, s, e in conn.execute(LAST_OUTBOX_ERRORS)
    ]
    return {
        "outbox": {
            "pending": pending,
            "claimed": claimed,
            "oldest_pending_s": round(float(oldest), 1) if oldest is not None else None,
        },
        "live_sessions": {
            "total": sum(v["sessions"] for v in sessions.values()),
            "players": sum(v["players"] for v in sessions.values()),
            "by_mode": sessions,
        },
        "answers_per_s": round(recent / RATE_WINDOW_S, 1),
        "outbox_errors": errors,
    }


def _pools(settings: Settings, pooled_url: str) -> list[dict[str, Any]]:
    if not settings.database_url and not settings.pgbouncer_admin_url:
        raise Unavailable("no pgbouncer: the embedded database is used directly")
    return probes.pgbouncer_pools(
        probes.pgbouncer_admin_dsn(pooled_url, settings.pgbouncer_admin_url)
    )


def _replica_lag(settings: Settings) -> dict[str, Any]:
    if not settings.database_read_url:
        return {"value": "no replica", "source": "settings (DATABASE_READ_URL unset)"}

    def read() -> float | None:
        engine = sa.create_engine(
            normalize_url(settings.database_read_url or ""), poolclass=sa.NullPool
        )
        try:
            with engine.connect() as conn:
                # The web tier's own measure: what decides whether it reads there.
                lag = replica_lag_s(conn)
        finally:
            engine.dispose()
        return round(lag, 2) if lag is not None else None

    return figure("postgresql (replica)", read)


def _statsd_figures(settings: Settings, db: dict[str, Any]) -> dict[str, Any]:
    """Answers/s, ack p99 and 429s: Prometheus when there is one, else what PostgreSQL knows."""
    if settings.prometheus_url:
        base = settings.prometheus_url

        def query(promql: str) -> Callable[[], float | None]:
            return lambda: probes.prometheus_value(base, promql)

        return {key: figure("prometheus", query(promql)) for key, promql in PROMQL.items()}
    no_prometheus = "statsd only (PROMETHEUS_URL unset)"
    answers = (
        {"error": db["error"], "source": "postgresql"}
        if "error" in db
        else {"value": db["answers_per_s"], "source": f"postgresql (last {RATE_WINDOW_S} s)"}
    )
    return {
        "answers_per_s": answers,
        "ack_p99_ms": {"error": "not recorded outside statsd", "source": no_prometheus},
        "retry_after_429_per_min": {
            "error": "not recorded outside statsd",
            "source": no_prometheus,
        },
    }
