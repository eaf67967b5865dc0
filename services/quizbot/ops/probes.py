"""Where ``quizbot status`` reads each figure: supervisor, pgbouncer, Prometheus.

Each probe returns plain data or raises; :mod:`quizbot.ops.status` turns a
failure into a figure that says why it is missing, so one source that is away
never hides the others.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import xmlrpc.client
from typing import Any

import psycopg2
import psycopg2.extras
from sqlalchemy.engine import make_url
from supervisor.xmlrpc import SupervisorTransport

from quizbot.store.database import libpq_dsn, normalize_url

TIMEOUT_S = 3.0
# Lines of a program's log that count as errors worth showing.
ERROR_MARKERS = (" ERROR ", " CRITICAL ", "Traceback", '"level": "ERROR"', '"level":"ERROR"')


def supervisor(url: str) -> Any:
    """An XML-RPC proxy to supervisord at ``unix:///path`` or ``http://host:port``."""
    # supervisor's own transport speaks HTTP over its Unix socket, as supervisorctl does.
    return xmlrpc.client.ServerProxy(
        "http://127.0.0.1", transport=SupervisorTransport(None, None, url)
    )


def _processes(url: str) -> tuple[Any, list[dict[str, Any]]]:
    proxy = supervisor(url)
    try:
        return proxy, proxy.supervisor.getAllProcessInfo()
    except OSError as exc:  # say which socket: the usual cause is a non-root user
        raise OSError(f"{url}: {exc.strerror or exc}") from exc


def program_states(url: str) -> dict[str, str]:
    """``group:name`` -> supervisor state (RUNNING, STOPPED, FATAL, ...)."""
    _, infos = _processes(url)
    return {f"{p['group']}:{p['name']}": str(p["statename"]) for p in infos}


def program_errors(url: str, limit: int = 5, tail_bytes: int = 16384) -> list[str]:
    """The last error lines of each quizbot program's log, through supervisord."""
    proxy, infos = _processes(url)
    found: list[str] = []
    for info in infos:
        name = f"{info['group']}:{info['name']}"
        for reader in (
            proxy.supervisor.tailProcessStdoutLog,
            proxy.supervisor.tailProcessStderrLog,
        ):
            text = reader(name, 0, tail_bytes)[0]
            lines = [ln for ln in text.splitlines() if any(m in ln for m in ERROR_MARKERS)]
            found.extend(f"{name}: {ln.strip()[:300]}" for ln in lines[-limit:])
    return found[-limit:]


def pgbouncer_admin_dsn(database_url: str, admin_url: str | None) -> str:
    """The admin console's DSN: configured, or DATABASE_URL with database ``pgbouncer``."""
    if admin_url:
        return libpq_dsn(normalize_url(admin_url))
    return libpq_dsn(
        make_url(normalize_url(database_url)).set(database="pgbouncer").render_as_string(False)
    )


def pgbouncer_pools(dsn: str) -> list[dict[str, Any]]:
    """SHOW POOLS on pgbouncer's console: clients active/waiting, servers, max wait."""
    conn = psycopg2.connect(dsn, connect_timeout=int(TIMEOUT_S))
    try:
        conn.autocommit = True  # the console accepts no transactions
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute("SHOW POOLS")
            rows = cur.fetchall()
    finally:
        conn.close()
    keep = ("database", "user", "cl_active", "cl_waiting", "sv_active", "sv_idle", "maxwait")
    return [{k: row[k] for k in keep if k in row} for row in rows if row["database"] != "pgbouncer"]


def prometheus_value(base_url: str, query: str) -> float | None:
    """One instant query; the first sample's value, or None when the result is empty."""
    url = f"{base_url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
        body = json.load(resp)
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus: {body.get('error', body)}")
    result = body["data"]["result"]
    return float(result[0]["value"][1]) if result else None
