"""Restoring a ``pg_dump -Fc`` backup into a new database, and proving it migrates.

A backup nobody restored is a hope. ``quizbot db restore FILE`` (and
``make test-deploy``, mid-quiz) restores a dump into a database of its own, never
over the live one, then migrates it to the code's head revision: what a
rollback or a disaster recovery would do next.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quizbot.store import migrate
from quizbot.store.database import libpq_dsn

# The tables whose row counts a restore reports, to compare with the source.
COUNTED = ("quizzes", "questions", "players", "sessions", "answers", "results", "outbox")
ROW_COUNTS = sa.text(
    """
    SELECT (SELECT count(*) FROM quizzes), (SELECT count(*) FROM questions),
           (SELECT count(*) FROM players), (SELECT count(*) FROM sessions),
           (SELECT count(*) FROM answers), (SELECT count(*) FROM results),
           (SELECT count(*) FROM outbox)
    """
)


class RestoreFailed(RuntimeError):
    """pg_restore or the migration after it failed; the message says which and why."""


@dataclass
class Restored:
    """What a restore produced: where, from which revision to which, and row counts."""

    database: str
    url: str
    revision_in_dump: str | None
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)


def pg_tool(name: str, server_bin: Path | None = None) -> str:
    """``pg_restore``/``pg_dump``: next to the server when known, else on PATH."""
    if server_bin is not None and (server_bin / name).exists():
        return str(server_bin / name)
    found = shutil.which(name)
    if found is None:
        raise RestoreFailed(f"{name} not found (apt-get install postgresql-client)")
    return found


def restore(dump: Path, admin_url: str, database: str, pg_restore: str) -> Restored:
    """Restore ``dump`` into the new database ``database`` on ``admin_url``'s server, then
    migrate it to head. The database must not exist: a restore never overwrites."""
    if not dump.is_file():
        raise RestoreFailed(f"{dump}: no such file")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            if conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}
            ):
                raise RestoreFailed(f"database {database} exists; a restore needs a new one")
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    url = make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    # --no-owner/--no-privileges: the restoring role owns everything, whoever owned it before.
    done = subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "-d",
            libpq_dsn(url),
            str(dump),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RestoreFailed(f"pg_restore failed: {done.stderr.strip()[-500:]}")
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            before = migrate.current_revision(conn)
        try:
            migrate.upgrade(url)
        except Exception as exc:
            raise RestoreFailed(f"restored, but migrating from {before} failed: {exc}") from exc
        with engine.connect() as conn:
            after = migrate.current_revision(conn)
            rows = dict(zip(COUNTED, map(int, conn.execute(ROW_COUNTS).one()), strict=True))
    finally:
        engine.dispose()
    if after != migrate.head_revision():
        raise RestoreFailed(
            f"restored database is at {after}, the code's head is {migrate.head_revision()}"
        )
    return Restored(database, url, before, after, rows)
