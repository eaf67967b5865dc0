"""Quiz files users send: the requests the worker downloads and imports.

Revision ID: 0013
Revises: 0012

- ``uploads``: one row per quiz file a user sent in a private chat and the web
  tier accepted (a quiz format, at most 1 MB). The web tier writes it with the
  update and answers at once; the sender's upload worker claims it
  (``pending`` -> ``working``), downloads the file through getFile, imports it
  and replies, then marks it ``done`` (with the quiz made) or ``failed``.
  ``available_at`` delays a retry after a failed download; a ``working`` row
  whose worker died is taken again after a while (``claimed_at``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("file_name", sa.String(length=256), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("quiz_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
    )
    op.create_index(
        "ix_uploads_open",
        "uploads",
        ["available_at", "id"],
        postgresql_where=sa.text("status IN ('pending', 'working')"),
    )


def downgrade() -> None:
    op.drop_index("ix_uploads_open", table_name="uploads")
    op.drop_table("uploads")
