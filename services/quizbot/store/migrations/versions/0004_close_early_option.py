"""A group game's host may choose to close each question once every joined player answered.

Revision ID: 0004
Revises: 0003

- ``sessions.close_when_all_answered``: the lobby option. Without it a group
  question stays open for its full time, so a member who answers late for the
  first time is never shut out by faster players (solo and private live games
  always close early: their participants are known).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sessions",
        sa.Column(
            "close_when_all_answered", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("sessions", "close_when_all_answered")
