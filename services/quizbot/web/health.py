"""``GET /health`` and ``GET /monitoring/stats``: for operators, not the internet.

Both answer only loopback clients or a request carrying
``Authorization: Bearer <MONITORING_TOKEN>``: the webhook port faces Telegram,
and these pages tell an attacker how loaded the machine is. Each response is
this worker's view (gunicorn hands the request to any one worker); the pid in
the body says which.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from quizbot.store import outbox_queries, program_status
from quizbot.web.runtime import Runtime

CHECK_TIMEOUT_S = 3.0

OUTBOX_BY_STATUS = sa.text("SELECT CAST(status AS text), count(*) FROM outbox GROUP BY status")


def allowed(request: Request, token: str | None) -> bool:
    """Loopback clients, or the monitoring token as a bearer token."""
    if request.client is not None and _loopback(request.client.host):
        return True
    supplied = request.headers.get("authorization", "")
    if token and supplied.startswith("Bearer "):
        return hmac.compare_digest(supplied[7:].encode(), token.encode())
    return False


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ping(rt: Runtime) -> None:
    with rt.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


async def health(request: Request) -> Response:
    """Per-dependency status; 503 when the database (through pgbouncer) does not answer."""
    rt: Runtime = request.app.state.runtime
    if not allowed(request, rt.settings.monitoring_token):
        return Response(status_code=403)
    start = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await run_in_threadpool(_ping, rt)
        database: dict[str, Any] = {"ok": True}
    except Exception as exc:  # any failure to answer is "down"; the reason goes in the body
        database = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    database["ms"] = round((time.perf_counter() - start) * 1000.0, 2)
    committer = {
        "ok": rt.committer.alive(),
        "mode": rt.committer.stats.mode,
        "queued": rt.committer.queued(),
    }
    ok = database["ok"] and committer["ok"]
    body = {
        "status": "ok" if ok else "down",
        "pid": rt.pid,
        "checks": {"database": database, "committer": committer},
    }
    return JSONResponse(body, status_code=200 if ok else 503)


def _from_database(rt: Runtime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The outbox figures, and each daemon's last reported state (``program_status``).

    The outbox figures are for a person to read: the replica serves them while it
    is fresh. The daemons' rows come from the primary: their age is the point,
    and a replica would add its lag to it.
    """
    outbox = rt.reads.read(_outbox_figures)
    with rt.engine.connect() as conn:
        programs = program_status.listing(conn)
    return outbox, programs


def _outbox_figures(conn: Connection) -> dict[str, Any]:
    by_status = {str(s): int(n) for s, n in conn.execute(OUTBOX_BY_STATUS)}
    oldest = outbox_queries.oldest_pending_s(conn)
    return {
        "by_status": by_status,
        "oldest_pending_age_s": round(oldest, 3) if oldest is not None else None,
    }


def pool_figures(rt: Runtime) -> dict[str, Any]:
    """The worker's SQLAlchemy pool: size, in use, overflow."""
    pool: Any = rt.engine.pool
    figures: dict[str, Any] = {"status": pool.status()}
    for name in ("size", "checkedin", "checkedout", "overflow"):
        if hasattr(pool, name):
            figures[name] = getattr(pool, name)()
    return figures


async def stats(request: Request) -> Response:
    """Outbox depth, daemons' states, group-commit and pool figures, where reads go, pid."""
    rt: Runtime = request.app.state.runtime
    if not allowed(request, rt.settings.monitoring_token):
        return Response(status_code=403)
    programs: list[dict[str, Any]] | dict[str, str]
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            outbox, programs = await run_in_threadpool(_from_database, rt)
    except Exception as exc:  # the page must still show the in-process figures
        outbox = programs = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    totals = dict(rt.meter.totals)
    body = {
        "worker": {"pid": rt.pid, "uptime_s": round(rt.uptime_s, 1)},
        "commit": {**rt.committer.stats.as_dict(), "queued": rt.committer.queued()},
        "answers": {k.split(".", 1)[1]: v for k, v in totals.items() if k.startswith("answers.")},
        "updates": {k.split(".", 1)[1]: v for k, v in totals.items() if k.startswith("updates.")},
        "db_pool": pool_figures(rt),
        "outbox": outbox,
        # Each daemon's row, with its age: a row older than a few seconds is
        # marked stale (the program is stuck, cut off from the database, or gone).
        "programs": programs,
        "reads": rt.reads.status(),
    }
    return JSONResponse(body)
