"""Files the outbox sends: a document's bytes beside its outbox row.

Revision ID: 0010
Revises: 0009

- ``outbox_files``: for an outbox row that uploads a file (``sendDocument``:
  a quiz exported for its owner), the parameter it fills, the file name and
  the bytes. The sender reads it with the claim and sends the call as
  multipart. Deleted with its outbox row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_files",
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name="fk_outbox_files_outbox_id_outbox",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", name="pk_outbox_files"),
    )


def downgrade() -> None:
    op.drop_table("outbox_files")
