"""``quizbot db``: migrate, inspect and stop the database."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from quizbot.settings import load_settings
from quizbot.store import migrate
from quizbot.store.database import create_engine, resolve_urls, stop_embedded


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
