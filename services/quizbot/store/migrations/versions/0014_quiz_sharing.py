"""Sharing and deleting a user's quiz.

Revision ID: 0014
Revises: 0013

- ``quizzes.share_token``: the unguessable token of a quiz's share link
  (``/start q-<token>``), made the first time its owner looks at it in
  /myquizzes; the one way others play a private quiz.
- ``quizzes.deleted_at``: a quiz its owner deleted. It is gone from every
  list and lookup; its row stays because the sessions that played it refer
  to it (their results and leaderboards are other players' history).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("quizzes", sa.Column("share_token", sa.String(length=32), nullable=True))
    op.add_column("quizzes", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint("uq_quizzes_share_token", "quizzes", ["share_token"])


def downgrade() -> None:
    op.drop_constraint("uq_quizzes_share_token", "quizzes", type_="unique")
    op.drop_column("quizzes", "deleted_at")
    op.drop_column("quizzes", "share_token")
