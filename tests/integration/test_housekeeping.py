"""Housekeeping removes only what can no longer matter."""

from __future__ import annotations

import sqlalchemy as sa

from quizbot.store.housekeeping import prune


def test_old_update_ids_delivered_rows_held_votes_and_uploads_go_recent_and_open_stay(
    engine: sa.Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO processed_updates (update_id, processed_at) VALUES "
                "(1, now() - interval '3 days'), (2, now() - interval '1 day'), (3, now())"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO outbox (chat_id, method, params, status, created_at) VALUES "
                "(1, 'sendMessage', '{}', 'sent', now() - interval '8 days'),"
                "(1, 'sendMessage', '{}', 'dead', now() - interval '8 days'),"
                "(1, 'sendMessage', '{}', 'pending', now() - interval '8 days'),"
                "(1, 'sendMessage', '{}', 'sent', now() - interval '2 days')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO held_votes (update_id, poll_id, player_id, option, received_at,"
                " held_at) VALUES (7, 'gone', 1, 0, 0, now() - interval '2 hours'),"
                " (8, 'soon', 1, 0, 0, now())"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO uploads (user_id, chat_id, file_id, file_name, status, created_at)"
                " VALUES (1, 1, 'a', 'old.txt', 'done', now() - interval '8 days'),"
                " (1, 1, 'b', 'old.txt', 'failed', now() - interval '8 days'),"
                " (1, 1, 'c', 'open.txt', 'pending', now() - interval '8 days'),"
                " (1, 1, 'd', 'new.txt', 'done', now())"
            )
        )
    assert prune(engine) == (1, 2, 1, 2)
    with engine.connect() as conn:
        ids = sorted(conn.scalars(sa.text("SELECT update_id FROM processed_updates")))
        statuses = sorted(conn.scalars(sa.text("SELECT status::text FROM outbox")))
        held = sorted(conn.scalars(sa.text("SELECT poll_id FROM held_votes")))
        uploads = sorted(conn.scalars(sa.text("SELECT file_id FROM uploads")))
    assert ids == [2, 3]  # a Telegram retry of these is still possible
    assert statuses == ["pending", "sent"]  # unsent rows are the sender's, recent ones kept
    assert held == ["soon"]  # its poll may still be recorded
    assert uploads == ["c", "d"]  # a pending file is the worker's; a recent answer stays
    assert prune(engine) == (0, 0, 0, 0)
