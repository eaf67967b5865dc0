"""Who a quiz belongs to, and who sees it.

Revision ID: 0009
Revises: 0008

- ``quizzes.owner_id``: the Telegram user who made or uploaded the quiz;
  NULL for a quiz an operator imported from the shell. Indexed for a user's
  own list.
- ``quizzes.visibility``: ``public`` (listed for everyone) or ``private``
  (its owner's, and played by others only through its share link). Existing
  quizzes, all imported by operators, stay public. The rule is
  ``quizbot.domain.ownership``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIBILITY = sa.Enum("private", "public", name="quiz_visibility")


def upgrade() -> None:
    VISIBILITY.create(op.get_bind())
    op.add_column("quizzes", sa.Column("owner_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "quizzes",
        sa.Column("visibility", VISIBILITY, server_default="public", nullable=False),
    )
    op.create_index("ix_quizzes_owner_id", "quizzes", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_quizzes_owner_id", table_name="quizzes")
    op.drop_column("quizzes", "visibility")
    op.drop_column("quizzes", "owner_id")
    VISIBILITY.drop(op.get_bind())
