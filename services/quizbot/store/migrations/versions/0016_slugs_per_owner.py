"""Slugs unique per owner, not across everyone.

Revision ID: 0016
Revises: 0015

A user names their quizzes without meeting anyone else's: two people may
each have a quiz ``capitals``, and an operator's imports (no owner) share one
namespace of their own. ``/play <slug>`` finds the caller's own quiz first,
then a public one (``store.owned``).

- the unique constraint on ``quizzes.slug`` becomes a unique index on
  ``(owner_id, slug)`` for quizzes not deleted, with NULLs not distinct, so
  operators' quizzes stay unique among themselves and a deleted quiz's slug
  is free again for its owner;
- ``ix_quizzes_slug``: the lookup by slug, across owners.

The downgrade restores the global constraint; it fails while two quizzes
share a slug, and the operator renames one first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_quizzes_slug", "quizzes", type_="unique")
    op.create_index(
        "uq_quizzes_owner_slug",
        "quizzes",
        ["owner_id", "slug"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
        postgresql_nulls_not_distinct=True,
    )
    op.create_index("ix_quizzes_slug", "quizzes", ["slug"])


def downgrade() -> None:
    op.drop_index("ix_quizzes_slug", table_name="quizzes")
    op.drop_index("uq_quizzes_owner_slug", table_name="quizzes")
    op.create_unique_constraint("uq_quizzes_slug", "quizzes", ["slug"])
