"""The language a player chose with /language, and the one a group's admins chose.

Revision ID: 0008
Revises: 0007

- ``players.language``: set by /language in a private chat; NULL follows the
  player's Telegram ``language_code``.
- ``chats.language``: a group's language, set by its admins or its game's
  host; NULL is English.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("players", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("chats", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("chats", "language")
    op.drop_column("players", "language")
