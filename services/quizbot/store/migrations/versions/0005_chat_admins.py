"""Group admins may /stop a game: their list, cached, and the /stop waiting for it.

Revision ID: 0005
Revises: 0004

- ``chat_admins``: a group's administrators (``getChatAdministrators``, fetched
  by the sender off the hot path) and when they were fetched.
- ``stop_checks``: a /stop from a member who is not the host, waiting for the
  admin list; answered with a follow-up message when the list arrives.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_admins",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("admin_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_table(
        "stop_checks",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("player_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "player_id"),
    )


def downgrade() -> None:
    op.drop_table("stop_checks")
    op.drop_table("chat_admins")
