"""``quizbot db restore``: a pg_dump -Fc backup comes back in a new database, migrated."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from quizbot.cli.main import cli
from quizbot.ops.backups import pg_tool
from quizbot.store import migrate
from quizbot.store.database import libpq_dsn
from quizbot.store.quizzes import import_quiz, load_quiz_file, sample_files
from tests.conftest import PgServer


@pytest.fixture
def client_bin(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Path | None:
    """The server's own pg_dump/pg_restore (the embedded server's version may not be
    the system's), put first on PATH as on a VM with its one PostgreSQL."""
    if not pg_server.embedded:
        return None
    from pgserver._commands import POSTGRES_BIN_PATH

    monkeypatch.setenv("PATH", f"{POSTGRES_BIN_PATH}:/usr/bin:/bin")
    return Path(POSTGRES_BIN_PATH)


def _dump(url: str, path: Path, client_bin: Path | None) -> Path:
    subprocess.run(
        [pg_tool("pg_dump", client_bin), "--format=custom", f"--file={path}", libpq_dsn(url)],
        check=True,
        timeout=120,
    )
    return path


def _rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        counts = {
            t: int(conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0)  # noqa: S608
            for t in ("quizzes", "questions", "sessions", "answers")
        }
    engine.dispose()
    return counts


@pytest.fixture
def restored_name(pg_server: PgServer) -> Iterator[str]:
    name = f"quizbot_r_{uuid.uuid4().hex[:10]}"
    yield name
    admin = sa.create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _restore(db_url: str, dump: Path, into: str) -> object:
    return CliRunner().invoke(
        cli, ["db", "restore", str(dump), "--into", into], env={"DATABASE_URL": db_url}
    )


def test_a_dump_restores_into_a_new_database_with_the_same_rows(
    db_url: str, pg_server: PgServer, tmp_path: Path, client_bin: Path | None, restored_name: str
) -> None:
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        for path in sample_files():
            import_quiz(conn, load_quiz_file(path))
    engine.dispose()
    dump = _dump(db_url, tmp_path / "nightly.dump", client_bin)

    result = _restore(db_url, dump, restored_name)

    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"into database {restored_name}" in result.output  # type: ignore[attr-defined]
    assert _rows(pg_server.url(restored_name)) == _rows(db_url)
    assert _rows(db_url)["questions"] > 0


def test_a_dump_from_an_older_schema_is_migrated_to_head(
    pg_server: PgServer, tmp_path: Path, client_bin: Path | None, restored_name: str
) -> None:
    old = f"quizbot_o_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{old}"'))
    try:
        migrate.upgrade(pg_server.url(old), "0001")
        dump = _dump(pg_server.url(old), tmp_path / "pre-migration.dump", client_bin)
        result = _restore(pg_server.url(old), dump, restored_name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
        admin.dispose()
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"0001 in the dump, {migrate.head_revision()} after migrating" in result.output  # type: ignore[attr-defined]
    engine = sa.create_engine(pg_server.url(restored_name), poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    engine.dispose()


def test_a_restore_never_overwrites_an_existing_database(
    db_url: str, db_name: str, tmp_path: Path, client_bin: Path | None
) -> None:
    dump = _dump(db_url, tmp_path / "x.dump", client_bin)
    result = _restore(db_url, dump, db_name)
    assert result.exit_code == 1
    assert f"database {db_name} exists" in result.output  # type: ignore[attr-defined]


def test_a_file_that_is_not_a_dump_fails_with_pg_restores_reason(
    db_url: str, tmp_path: Path, client_bin: Path | None, restored_name: str
) -> None:
    bogus = tmp_path / "bogus.dump"
    bogus.write_text("not a dump")
    result = _restore(db_url, bogus, restored_name)
    assert result.exit_code == 1
    assert "pg_restore failed" in result.output  # type: ignore[attr-defined]
