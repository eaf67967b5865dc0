"""Quiz-poll votes that arrive before their poll id is recorded: held, then applied.

Revision ID: 0012
Revises: 0011

The sender writes each poll id back (``polls``) in the result batch after
``sendPoll`` returned it, a moment later; a ``poll_answer`` in between names a
poll nobody knows yet. Such a vote is kept in ``held_votes`` with the time the
webhook received it, and applied, scored by that time, when the sender records
the poll (``quizbot.store.held_votes``).

``quizbot_hold_votes(...)`` is the web tier's side, one call per flush that met
unknown polls. It first takes the shared advisory lock (20241, 0); the sender
takes it exclusively before it records polls and applies their held votes, in
the same transaction. Each later statement of a plpgsql function in READ
COMMITTED takes a fresh snapshot, so after the lock a vote either finds its
poll (the sender committed first: the call returns the poll's question, and the
vote goes through the group insert like any other) or is held before the
sender looks (the sender waits for the lock, then sees it). No vote falls in
between. ``ON CONFLICT (update_id)`` absorbs a Telegram retry of a held vote.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "quizbot_hold_votes(bigint[], text[], bigint[], smallint[], double precision[])"

# Returns the (poll_id, session_id, position) of every poll of p_poll_ids that
# is recorded after the lock; the votes for the others are held.
FUNCTION = """
CREATE FUNCTION quizbot_hold_votes(
    p_update_ids bigint[], p_poll_ids text[], p_player_ids bigint[], p_options smallint[],
    p_received_at double precision[]
)
RETURNS TABLE (poll_id text, session_id bigint, "position" smallint)
LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock_shared(20241, 0);
    INSERT INTO held_votes (update_id, poll_id, player_id, option, received_at)
    SELECT b.update_id, b.poll_id, b.player_id, b.option, b.received_at
    FROM unnest(p_update_ids, p_poll_ids, p_player_ids, p_options, p_received_at)
         AS b(update_id, poll_id, player_id, option, received_at)
    WHERE NOT EXISTS (SELECT 1 FROM polls p WHERE p.poll_id = b.poll_id)
    ON CONFLICT (update_id) DO NOTHING;
    RETURN QUERY
        SELECT CAST(p.poll_id AS text), p.session_id, p.position
        FROM polls p WHERE p.poll_id = ANY(p_poll_ids);
END
$function$
"""


def upgrade() -> None:
    op.create_table(
        "held_votes",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("poll_id", sa.String(length=256), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("option", sa.SmallInteger(), nullable=False),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.Column(
            "held_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_held_votes_poll", "held_votes", ["poll_id"])
    op.create_index("ix_held_votes_held_at", "held_votes", ["held_at"])
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.drop_index("ix_held_votes_held_at", table_name="held_votes")
    op.drop_index("ix_held_votes_poll", table_name="held_votes")
    op.drop_table("held_votes")
