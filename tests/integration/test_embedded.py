"""The embedded PostgreSQL: started on demand, stopped, and started again in one process."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from quizbot.store.database import embedded_server, server_url, stop_embedded


def _select_one(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        value = conn.scalar(sa.text("SELECT 1"))
    engine.dispose()
    return int(value or 0)


def test_an_embedded_server_can_be_stopped_and_started_again(tmp_path: Path) -> None:
    data = tmp_path / "pgdata"
    assert _select_one(server_url(embedded_server(data))) == 1
    assert stop_embedded(data) is True
    assert not (data / "postmaster.pid").exists()
    assert stop_embedded(data) is False  # nothing left to stop
    assert _select_one(server_url(embedded_server(data))) == 1
    assert stop_embedded(data) is True
