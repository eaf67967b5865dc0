"""The answer hot path as a function: quizbot_record_answers(...).

Revision ID: 0002
Revises: 0001

The web tier's group commit writes a whole batch of answers with one call of
this function (see ``quizbot.store.answers``). It holds one statement; as a
plpgsql function its plan is cached per server connection, so a flush does not
parse and plan a 60-line statement every time. Through pgbouncer's transaction
pooling that is the only plan cache available (pgbouncer 1.18 does not carry
prepared statements), and it halves PostgreSQL's CPU per flush: about 1.2 ms
down to 0.5 ms for a batch of 17 (docs/performance.md).

Why the statement is safe under concurrency:

- ``live`` locks the targeted sessions FOR NO KEY UPDATE, in id order, so two
  committers (one per gunicorn worker) lock in the same order and cannot
  deadlock. The writer claims a session FOR UPDATE to close a question, so an
  answer is either committed before the close (and counted by it) or sees the
  closed status: in READ COMMITTED a row lock re-checks ``status`` and
  ``deadline`` against the newest committed version (EvalPlanQual).
- The answers primary key makes the first answer win: ON CONFLICT DO NOTHING
  drops a second press (from this batch or any other transaction), and
  ``DISTINCT ON ... ORDER BY i`` keeps the earliest of a batch's duplicates.
- processed_updates gets the update_id of each accepted answer in the same
  statement, so a Telegram retry is recognised as already accepted.
- The counters move by exactly what was inserted (``ins`` RETURNING), under the
  row lock, so ``answered_count`` never drifts from the answers table. A session
  whose participants have all answered is NOTIFYed on ``quizbot_clock``
  (delivered at commit), so the writer closes the question early.
- In a group quiz a player who answers without having pressed Join joins by
  answering (``joined``), and is counted as a participant.

Called in autocommit, the call is its own transaction: PostgreSQL commits it
before it reports the statement complete, so "the call returned" means "the
answers are durable".
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = (
    "quizbot_record_answers(bigint[], bigint[], bigint[], smallint[], smallint[], bigint[], "
    "double precision[])"
)

# Rows come as parallel arrays (p_update_ids[i], p_session_ids[i], ...), one
# entry per answer; p_sessions is the sorted, distinct session ids. The result
# is one ('a', index, new_member) row per accepted answer (0-based index into
# the arrays) and one ('n', session_id, false) row per session whose every
# participant has now answered.
FUNCTION = """
CREATE FUNCTION quizbot_record_answers(
    p_update_ids bigint[], p_session_ids bigint[], p_sessions bigint[], p_positions smallint[],
    p_options smallint[], p_player_ids bigint[], p_received_at double precision[]
)
RETURNS TABLE (kind text, ref bigint, new_member boolean)
LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        WITH batch AS (
            SELECT * FROM unnest(
                p_update_ids, p_session_ids,
                p_positions, p_options,
                p_player_ids, p_received_at
            ) WITH ORDINALITY AS b(update_id, session_id, position, option, player_id, received_at, i)
        ),
        live AS (
            SELECT s.id, s.quiz_id, s.position, s.mode, s.chat_id, s.opened_at
            FROM sessions s
            WHERE s.id = ANY(p_sessions)
              AND s.status = 'question' AND s.deadline > now()
            ORDER BY s.id
            FOR NO KEY UPDATE
        ),
        cand AS (
            SELECT DISTINCT ON (b.session_id, b.position, b.player_id)
                   b.i, b.session_id, b.position, b.player_id, b.option, l.chat_id,
                   b.option = ANY(q.correct) AS correct,
                   GREATEST(0, LEAST(2000000000, round(1000 * (
                       LEAST(b.received_at, EXTRACT(EPOCH FROM now())) - EXTRACT(EPOCH FROM l.opened_at)
                   ))))::int AS elapsed_ms,
                   p.player_id IS NULL AS new_member
            FROM batch b
            JOIN live l ON l.id = b.session_id AND l.position = b.position
            JOIN questions q ON q.quiz_id = l.quiz_id AND q.position = b.position
            LEFT JOIN participants p ON p.session_id = b.session_id AND p.player_id = b.player_id
            WHERE b.option < jsonb_array_length(q.options)
              AND (p.player_id IS NOT NULL OR l.mode = 'group')
            ORDER BY b.session_id, b.position, b.player_id, b.i
        ),
        ins AS (
            INSERT INTO answers (session_id, position, player_id, option, correct, elapsed_ms)
            SELECT session_id, position, player_id, option, correct, elapsed_ms FROM cand
            ON CONFLICT DO NOTHING
            RETURNING session_id, position, player_id
        ),
        accepted AS (
            SELECT c.* FROM cand c JOIN ins USING (session_id, position, player_id)
        ),
        joined AS (
            INSERT INTO participants (session_id, player_id, chat_id)
            SELECT session_id, player_id, chat_id FROM accepted WHERE new_member
            ON CONFLICT DO NOTHING
            RETURNING session_id
        ),
        done AS (
            INSERT INTO processed_updates (update_id)
            SELECT b.update_id FROM batch b JOIN accepted a ON a.i = b.i
            ON CONFLICT DO NOTHING
        ),
        bumped AS (
            UPDATE sessions s
            SET answered_count = s.answered_count + n.answers,
                participant_count = s.participant_count
                    + (SELECT count(*) FROM joined j WHERE j.session_id = s.id),
                last_activity_at = now()
            FROM (SELECT session_id, count(*) AS answers FROM accepted GROUP BY session_id) n
            WHERE s.id = n.session_id
            RETURNING s.id, s.answered_count >= s.participant_count AS everyone
        )
        SELECT 'a' AS kind, i - 1 AS ref, new_member FROM accepted
        UNION ALL
        SELECT 'n', b.id, false
        FROM bumped b, LATERAL (SELECT pg_notify('quizbot_clock', CAST(b.id AS text))) AS wake
        WHERE b.everyone
    ;
END
$function$
"""


def upgrade() -> None:
    """Create the function."""
    op.execute(FUNCTION)


def downgrade() -> None:
    """Drop the function."""
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
