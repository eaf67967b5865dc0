"""The daemons ride through outages: fenced sender claims, program status, failing transitions.

Revision ID: 0003
Revises: 0002

- ``sender_lock``: the sender lock's generation, bumped by each sender that
  takes the lock; ``outbox.lease_gen`` records the generation a claim was made
  under (the fence: see ``quizbot.store.outbox_queries``).
- ``program_status``: each daemon's state (db_up, lock), upserted about once a
  second, listed by ``/monitoring/stats`` with its age.
- ``sessions.transition_failures``: how many times in a row the session's
  transition raised; the writer ends it after ``TRANSITION_MAX_TRIES``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("lease_gen", sa.BigInteger(), nullable=True))
    op.add_column(
        "sessions",
        sa.Column("transition_failures", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.create_table(
        "sender_lock",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column(
            "acquired_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "program_status",
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=64), nullable=False),
        sa.Column("pid", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("db_up", sa.Boolean(), nullable=False),
        sa.Column("lock_holder", sa.Boolean(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("program", "host", "pid"),
    )


def downgrade() -> None:
    op.drop_table("program_status")
    op.drop_table("sender_lock")
    op.drop_column("sessions", "transition_failures")
    op.drop_column("outbox", "lease_gen")
