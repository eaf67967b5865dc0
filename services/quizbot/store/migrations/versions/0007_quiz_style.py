"""A quiz file's default play style.

Revision ID: 0007
Revises: 0006

- ``quizzes.style``: ``buttons`` or ``polls`` (the file's ``style:`` key), the
  style of a live game whose host does not name one in ``/live``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "quizzes",
        sa.Column("style", sa.String(length=16), server_default="buttons", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("quizzes", "style")
