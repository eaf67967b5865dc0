"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quizbot.domain.ownership import Ownership, Visibility
from quizbot.store import migrate
from quizbot.store.models import Base
from quizbot.store.quizfiles import load_quiz_file
from quizbot.store.quizzes import import_quiz, sample_files


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


def test_an_imported_quiz_has_no_owner_and_is_public(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        quiz_id = import_quiz(conn, load_quiz_file(sample_files()[0])).quiz_id
        row = conn.execute(
            sa.text("SELECT owner_id, visibility FROM quizzes WHERE id = :id"), {"id": quiz_id}
        ).one()

    assert Ownership(row.owner_id, Visibility(row.visibility)) == Ownership(None, Visibility.PUBLIC)


OWNED = sa.text(
    "INSERT INTO quizzes (slug, title, content_hash, question_count, owner_id, visibility)"
    " VALUES (:slug, 'Mine', 'x', 0, 42, :visibility) RETURNING owner_id, visibility"
)


def test_a_quiz_is_either_private_or_public(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        stored = conn.execute(OWNED, {"slug": "mine", "visibility": "private"}).one()
    with pytest.raises(sa.exc.DataError, match="quiz_visibility"), engine.begin() as conn:
        conn.execute(OWNED, {"slug": "other", "visibility": "secret"})

    assert tuple(stored) == (42, "private")


SLUG = sa.text(
    "INSERT INTO quizzes (slug, title, content_hash, question_count, owner_id)"
    " VALUES ('same', 'Same', 'x', 0, :owner) RETURNING id"
)


def test_a_slug_is_unique_per_owner_among_quizzes_not_deleted(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        first = conn.scalar(SLUG, {"owner": 41})
        for owner in (42, None):  # another user, and operators (no owner): one namespace each
            conn.execute(SLUG, {"owner": owner})
    for owner in (41, None):
        with (
            pytest.raises(sa.exc.IntegrityError, match="uq_quizzes_owner_slug"),
            engine.begin() as conn,
        ):
            conn.execute(SLUG, {"owner": owner})
    with engine.begin() as conn:  # deleted, the quiz leaves its slug to its owner
        conn.execute(sa.text("UPDATE quizzes SET deleted_at = now() WHERE id = :id"), {"id": first})
        conn.execute(SLUG, {"owner": 41})
