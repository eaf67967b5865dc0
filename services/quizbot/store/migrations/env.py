"""Alembic environment: runs migrations on the connection or URL the caller configured."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from quizbot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _migrate(conn: sa.Connection) -> None:
    context.configure(connection=conn, target_metadata=target_metadata)
    with context.begin_transaction():
        # DDL on a big table may run longer than the apps' statement_timeout
        # (pgbouncer's connect_query sets it on pooled sessions); lock_timeout
        # stays, so a migration that cannot get its lock fails instead of
        # queueing every answer behind it.
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url", ""), poolclass=sa.NullPool)
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
