"""pgbouncer keeps serving however much it logs.

pgbouncer writes every warning to stderr as well as to its logfile. Its stderr
once went to a pipe nobody read: after 64 KB of warnings (a database outage
logs one per request) pgbouncer blocked in write() and served no one until
it was restarted, long after PostgreSQL was back (found by the chaos bench).
Failed logins are the quickest way to make it log that much.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2

from quizbot.store.pgbouncer import PgBouncer, find_binary, free_port
from tests.conftest import require_tool

# Each failed login logs about 260 bytes: several times a pipe's 64 KB.
FAILED_LOGINS = 1000


def _console(bouncer: PgBouncer, password: str) -> psycopg2.extensions.connection:
    return psycopg2.connect(
        host="127.0.0.1",
        port=bouncer.port,
        dbname="pgbouncer",
        user=bouncer.user,
        password=password,
        connect_timeout=5,
    )


def test_pgbouncer_still_answers_after_logging_far_more_than_a_pipe_holds(
    tmp_path: Path,
) -> None:
    require_tool(find_binary(), "pgbouncer", "pgbouncer")
    # The admin console needs no server, so none is running.
    down = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/postgres"
    kept = tmp_path / "kept.log"
    bouncer = PgBouncer(server_url=down, run_dir=tmp_path / "pgbouncer", keep_log=kept).start()
    try:
        for n in range(FAILED_LOGINS):
            try:
                _console(bouncer, "wrong").close()
            except psycopg2.OperationalError as exc:
                # A stuck pgbouncer shows as a timeout here: stop at the first.
                assert "authentication failed" in str(exc), f"login {n}: {exc}"
            else:
                raise AssertionError("a wrong password was accepted")
        console = _console(bouncer, bouncer.password)
        console.autocommit = True
        try:
            with console.cursor() as cur:
                cur.execute("SHOW VERSION")
                row = cur.fetchone()
        finally:
            console.close()
        assert row is not None and "PgBouncer" in str(row[0])
    finally:
        bouncer.stop()
    # Not vacuous: it logged several times what a pipe holds.
    assert kept.stat().st_size > 3 * 65536
