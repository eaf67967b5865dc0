"""Live games played as native quiz polls: the style, and which poll is which question.

Revision ID: 0006
Revises: 0005

- ``sessions.style``: ``buttons`` or ``polls``, chosen when the game starts.
- ``polls``: every quiz poll the sender sent (one per group question, one per
  participant per question in a private live game), mapped to its session and
  question; a ``poll_answer`` carries only the poll id. It replaces
  ``sessions.poll_id``, which could hold one poll per session and was never written.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sessions",
        sa.Column("style", sa.String(length=16), server_default="buttons", nullable=False),
    )
    op.create_table(
        "polls",
        sa.Column("poll_id", sa.String(length=256), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id"),
    )
    op.create_index("ix_polls_session", "polls", ["session_id"])
    op.drop_constraint("uq_sessions_poll_id", "sessions", type_="unique")
    op.drop_column("sessions", "poll_id")


def downgrade() -> None:
    op.add_column("sessions", sa.Column("poll_id", sa.String(length=64), nullable=True))
    op.create_unique_constraint("uq_sessions_poll_id", "sessions", ["poll_id"])
    op.drop_index("ix_polls_session", table_name="polls")
    op.drop_table("polls")
    op.drop_column("sessions", "style")
