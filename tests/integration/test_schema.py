"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quizbot.store import migrate
from quizbot.store.models import Base


def test_migrated_database_matches_the_models(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrated_database_is_at_the_code_head(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()


def test_downgrade_to_empty_then_upgrade_again(db_url: str, engine: sa.Engine) -> None:
    from alembic import command

    command.downgrade(migrate.alembic_config(db_url), "base")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    assert tables == set()
    migrate.upgrade(db_url)
    with engine.connect() as conn:
        assert "outbox" in sa.inspect(conn).get_table_names()


def test_hot_query_indexes_exist(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        names = {
            row[0]
            for row in conn.execute(
                sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
            )
        }
    assert {"ix_outbox_pending", "ix_sessions_due", "ix_sessions_open", "pk_answers"} <= names
