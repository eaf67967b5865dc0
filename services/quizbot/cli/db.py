"""``quizbot db``: migrate, inspect and stop the database."""

from __future__ import annotations

import time
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quizbot.ops.backups import RestoreFailed, pg_tool, restore
from quizbot.settings import load_settings
from quizbot.store import migrate
from quizbot.store.database import create_engine, normalize_url, resolve_urls, stop_embedded


@click.group()
def db() -> None:
    """Database schema and the embedded PostgreSQL."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Migrate the database to the newest schema (idempotent)."""
    urls = resolve_urls(load_settings())
    migrate.upgrade(urls.direct, revision)
    click.echo(
        f"database at revision {revision if revision != 'head' else migrate.head_revision()}"
    )


@db.command()
def status() -> None:
    """Show where the database is and which schema revision it has."""
    settings = load_settings()
    urls = resolve_urls(settings)
    engine = create_engine(
        urls.pooled, settings, application_name="quizbot-cli", poolclass=sa.NullPool
    )
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
        version = conn.scalar(sa.text("SHOW server_version"))
    engine.dispose()
    click.echo(f"database: {'embedded' if urls.embedded else 'configured'} PostgreSQL {version}")
    click.echo(
        f"revision: {current or 'none (run: quizbot db upgrade)'}; code head: {migrate.head_revision()}"
    )


@db.command()
def url() -> None:
    """Print the SQLAlchemy URL this machine's programs use."""
    click.echo(resolve_urls(load_settings()).pooled)


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL (does nothing when DATABASE_URL is set)."""
    settings = load_settings()
    if settings.database_url:
        click.echo("DATABASE_URL is set: no embedded server to stop")
        return
    if stop_embedded(Path(settings.quizbot_var_dir) / "pgdata"):
        click.echo("embedded PostgreSQL stopped")
    else:
        click.echo("embedded PostgreSQL is not running")


@db.command("restore")
@click.argument("dump", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into", "database", default=None, help="New database (default <db>_restore_<time>)."
)
@click.option(
    "--admin-url",
    default=None,
    help="A role that may create databases (default: DATABASE_DIRECT_URL's server, database postgres).",
)
def restore_command(dump: Path, database: str | None, admin_url: str | None) -> None:
    """Restore a pg_dump -Fc file into a NEW database and migrate it to head.

    The live database is never touched. Prints the revisions and row counts;
    exits non-zero when pg_restore or the migration fails.
    """
    server_bin = None
    if admin_url:
        # Needs no quizbot settings: `sudo -u postgres quizbot db restore ... --admin-url`.
        admin, base = normalize_url(admin_url), "quizbot"
    else:
        urls = resolve_urls(load_settings())
        source = make_url(urls.direct)
        admin = source.set(database="postgres").render_as_string(False)
        base = source.database or "quizbot"
        if urls.embedded:
            from pgserver._commands import POSTGRES_BIN_PATH  # the embedded server's client

            server_bin = POSTGRES_BIN_PATH
    name = database or f"{base}_restore_{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    try:
        done = restore(dump, admin, name, pg_tool("pg_restore", server_bin))
    except RestoreFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {dump} into database {done.database}")
    click.echo(
        f"revision: {done.revision_in_dump or 'none'} in the dump, {done.revision} after migrating"
    )
    click.echo("rows: " + ", ".join(f"{t} {n}" for t, n in done.rows.items()))
