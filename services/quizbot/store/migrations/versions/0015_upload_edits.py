"""A quiz file sent to edit one of the sender's quizzes.

Revision ID: 0015
Revises: 0014

- ``uploads.replaces_quiz_id``: the quiz a file edits (its caption said
  ``edit <slug>``), checked by the web tier against the ownership rule. The
  worker replaces that quiz's content when it was never played, and saves
  the file as a new quiz otherwise.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("replaces_quiz_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("uploads", "replaces_quiz_id")
