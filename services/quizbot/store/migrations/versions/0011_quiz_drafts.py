"""Quizzes made in Telegram: the /newquiz drafts, and a quiz's shuffle option.

Revision ID: 0011
Revises: 0010

- ``quiz_drafts``: one row per user who used the wizard. ``draft`` is the
  conversation under way (``domain.draft.to_data``), NULL when there is none;
  written in the transaction that records each wizard update, so a restart
  resumes it. ``window_start``/``window_count`` count the user's wizard
  messages in the current minute (the per-user rate, held across web workers).
- ``quizzes.shuffle``: each game shows a question's options in its own order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "quizzes", sa.Column("shuffle", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "quiz_drafts",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("draft", JSONB(), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("window_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("quiz_drafts")
    op.drop_column("quizzes", "shuffle")
