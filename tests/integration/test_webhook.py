"""The webhook's contract with Telegram, against a real gunicorn and pgbouncer.

Status codes drive Telegram's retries, and a button press is answered in the
response body. Each test posts what Telegram would post and checks what
Telegram, the player or the database would see. One server serves the module;
each test plays its own session.
"""

from __future__ import annotations

import inspect
import json
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import telegram
from sqlalchemy.engine import Engine

from quizbot.bench.webserver import WebServer
from quizbot.store.pgbouncer import PgBouncer
from tests.integration.webtier import (
    FIRST_PLAYER,
    SECRET,
    answers,
    checked,
    next_update_id,
    open_question,
    post,
    press,
    seed_quiz,
    user,
    web_server,
)

SPEC = Path(__file__).resolve().parents[2] / "services/quizbot/sim/api/spec/api.min.json"
MAX_BODY = 4096
TOKEN = "monitoring-token"
LOCKED_IN = "✅ Answer locked in"
NO_LONGER_OPEN = "This question is no longer open"


@pytest.fixture(scope="module")
def server(
    web_db: str, pgbouncer: PgBouncer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web")
    env = {"MAX_BODY_BYTES": str(MAX_BODY), "MONITORING_TOKEN": TOKEN}
    with web_server(pgbouncer.url(web_db), tmp, **env) as running:
        yield running


# The module's tests share one web server, and nothing else: each starts empty.
pytestmark = pytest.mark.usefixtures("fresh_database")


@pytest.fixture
def quiz_id(db: Engine) -> int:
    return seed_quiz(db)


def post_raw(
    client: httpx.Client, server: WebServer, content: bytes, **headers: str
) -> httpx.Response:
    return client.post(
        f"{server.url}/telegram/webhook",
        content=content,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, **headers},
    )


def toast(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    text = response.json()["text"]
    assert isinstance(text, str)
    return text


def count(db: Engine, sql: str, **params: object) -> int:
    with db.connect() as conn:
        return int(conn.scalar(sa.text(sql), params) or 0)


def assert_valid_answer_callback_query(body: dict[str, object], query_id: str) -> None:
    """The body is a call Telegram accepts: answerCallbackQuery with valid fields."""
    method = json.loads(SPEC.read_text())["methods"]["answerCallbackQuery"]
    fields = {f["name"]: f for f in method["fields"]}
    assert body["method"] == "answerCallbackQuery"
    params = {k: v for k, v in body.items() if k != "method"}
    assert set(params) <= set(fields), f"unknown fields: {set(params) - set(fields)}"
    assert all(name in params for name, f in fields.items() if f["required"])
    assert params["callback_query_id"] == query_id
    text = params["text"]
    assert isinstance(text, str) and 0 < len(text) <= 200
    # python-telegram-bot's own method takes exactly these arguments.
    accepted = inspect.signature(telegram.Bot.answer_callback_query).parameters
    assert all(name in accepted for name in params)


def test_an_answer_is_stored_and_answered_in_the_response_body(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id, players=3)
    update = press(f"a:{session_id}:0:0", FIRST_PLAYER)
    response = post(client, server, update)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert_valid_answer_callback_query(response.json(), update["callback_query"]["id"])
    assert response.json()["text"] == LOCKED_IN
    assert answers(db, session_id) == [(0, FIRST_PLAYER, 0, True)]
    assert count(db, "SELECT answered_count FROM sessions WHERE id = :s", s=session_id) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_wrong_or_missing_secret_gets_403_and_nothing_is_written(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int, secret: str | None
) -> None:
    session_id = open_question(db, quiz_id)
    update = press(f"a:{session_id}:0:1", FIRST_PLAYER)
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    response = client.post(f"{server.url}/telegram/webhook", json=update, headers=headers)
    assert response.status_code == 403
    assert answers(db, session_id) == []


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b'{"update_id": 1, "callback_query": ', b"[1, 2, 3]", b'"a string"'],
    ids=["text", "truncated", "array", "string"],
)
def test_a_body_that_is_not_a_json_object_gets_400(
    server: WebServer, client: httpx.Client, body: bytes
) -> None:
    response = post_raw(client, server, body, **{"Content-Type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"callback_query": {"id": "1"}}',
        b'{"update_id": "7"}',
        b'{"update_id": 7, "callback_query": {"id": "1", "data": "a:1:0:0"}}',
        b'{"update_id": 7, "message": {"text": "/help"}}',
    ],
    ids=["no-update-id", "string-id", "no-from", "no-chat"],
)
def test_a_json_object_that_can_never_be_an_update_gets_200_so_telegram_stops(
    server: WebServer, client: httpx.Client, body: bytes
) -> None:
    response = post_raw(client, server, body, **{"Content-Type": "application/json"})
    assert (response.status_code, response.content) == (200, b"")


def test_a_body_over_the_size_limit_gets_413(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id)
    update = press(f"a:{session_id}:0:0", FIRST_PLAYER)
    update["callback_query"]["message"]["text"] = "x" * MAX_BODY
    body = json.dumps(update).encode()
    assert post_raw(client, server, body).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    streamed = client.post(
        f"{server.url}/telegram/webhook",
        content=chunks(),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert streamed.status_code == 413
    assert answers(db, session_id) == []


@pytest.mark.parametrize(
    "update",
    [
        {"edited_message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}},
        {
            "chat_join_request": {
                "chat": {"id": -5, "type": "supergroup", "title": "t"},
                "from": user(9),
                "user_chat_id": 9,
                "date": 1,
            }
        },
        {
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": 9, "type": "private"},
                "text": "hi",
            }
        },
    ],
    ids=["edited_message", "chat_join_request", "plain-text"],
)
def test_an_irrelevant_update_gets_an_empty_200(
    server: WebServer, client: httpx.Client, update: dict[str, object]
) -> None:
    response = post(client, server, checked({"update_id": next_update_id(), **update}))
    assert response.status_code == 200
    assert response.content == b""


def test_a_telegram_retry_of_an_answer_is_stored_once_and_gets_the_same_toast(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id)
    update = press(f"a:{session_id}:0:2", FIRST_PLAYER + 1)
    assert toast(post(client, server, update)) == LOCKED_IN
    assert toast(post(client, server, update)) == LOCKED_IN
    assert answers(db, session_id) == [(0, FIRST_PLAYER + 1, 2, False)]
    assert count(db, "SELECT answered_count FROM sessions WHERE id = :s", s=session_id) == 1


def test_the_first_answer_wins_and_a_second_press_is_told_already_answered(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id)
    assert toast(post(client, server, press(f"a:{session_id}:0:3", FIRST_PLAYER))) == LOCKED_IN
    second = post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
    assert toast(second) == "You already answered this one"
    assert answers(db, session_id) == [(0, FIRST_PLAYER, 3, False)]


def test_an_answer_after_the_deadline_is_too_late_and_not_stored(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id, deadline_s=-0.5)
    response = post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
    assert toast(response) == "⏰ Too late — this question is closed"
    assert answers(db, session_id) == []


def test_a_button_of_a_question_already_revealed_is_too_late(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id, position=1, status="reveal")
    response = post(client, server, press(f"a:{session_id}:1:0", FIRST_PLAYER))
    assert toast(response) == "⏰ Too late — this question is closed"
    assert answers(db, session_id) == []


def test_a_button_of_an_earlier_question_gets_a_polite_toast_and_no_write(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id, position=2)
    response = post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
    assert toast(response) == NO_LONGER_OPEN
    assert answers(db, session_id) == []


@pytest.mark.parametrize(
    "data",
    [
        "complete nonsense",
        "a:{session}:0:9",  # option 9 of a four-option question
        "a:{session}:1:0",  # a question not asked yet
        "a:999999999:0:0",  # no such session
        "a:{session}:0:01",  # not the canonical spelling we send
        "a:-{session}:0:0",
    ],
)
def test_forged_callback_data_gets_a_polite_toast_and_no_write(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int, data: str
) -> None:
    session_id = open_question(db, quiz_id)
    response = post(client, server, press(data.format(session=session_id), FIRST_PLAYER))
    assert toast(response) == NO_LONGER_OPEN
    assert answers(db, session_id) == []


def test_a_player_outside_a_private_chat_quiz_is_asked_to_join_first(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id, mode="private", players=2)
    response = post(client, server, press(f"a:{session_id}:0:0", 42, chat_id=42))
    assert toast(response) == "Join this quiz first to play along"
    assert answers(db, session_id) == []


def test_in_a_group_quiz_answering_joins_the_player(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    session_id = open_question(db, quiz_id, players=2)
    assert toast(post(client, server, press(f"a:{session_id}:0:0", 77))) == LOCKED_IN
    assert answers(db, session_id) == [(0, 77, 0, True)]
    with db.connect() as conn:
        joined = conn.execute(
            sa.text("SELECT participant_count, answered_count FROM sessions WHERE id = :s"),
            {"s": session_id},
        ).one()
        name = conn.scalar(sa.text("SELECT first_name FROM players WHERE id = 77"))
    assert tuple(joined) == (3, 1)
    assert name == "Ada"


def test_a_poll_answer_is_stored_for_the_session_that_owns_the_poll(
    server: WebServer, client: httpx.Client, db: Engine, quiz_id: int
) -> None:
    poll_id = f"poll-{next_update_id()}"
    session_id = open_question(db, quiz_id, poll_id=poll_id)
    vote = checked(
        {
            "update_id": next_update_id(),
            "poll_answer": {
                "poll_id": poll_id,
                "user": user(FIRST_PLAYER),
                "option_ids": [0],
                "option_persistent_ids": ["opt-0"],
            },
        }
    )
    response = post(client, server, vote)
    assert response.status_code == 200 and response.content == b""
    assert answers(db, session_id) == [(0, FIRST_PLAYER, 0, True)]
    unknown = checked(
        {
            "update_id": next_update_id(),
            "poll_answer": {
                "poll_id": "no-such-poll",
                "user": user(FIRST_PLAYER + 1),
                "option_ids": [1],
                "option_persistent_ids": ["opt-1"],
            },
        }
    )
    assert post(client, server, unknown).status_code == 200
    assert answers(db, session_id) == [(0, FIRST_PLAYER, 0, True)]


def test_health_reports_the_database_through_pgbouncer(
    server: WebServer, client: httpx.Client
) -> None:
    response = client.get(f"{server.url}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["committer"]["mode"] == "group"
    assert body["pid"] in server.worker_pids()


def test_monitoring_stats_show_outbox_commits_pool_and_worker(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO outbox (chat_id, method, params, created_at) "
                "VALUES (1, 'sendMessage', '{}', now() - interval '30 seconds')"
            )
        )
    body = client.get(f"{server.url}/monitoring/stats").json()
    assert body["worker"]["pid"] in server.worker_pids()
    assert body["worker"]["uptime_s"] >= 0
    assert body["outbox"]["by_status"]["pending"] >= 1
    assert body["outbox"]["oldest_pending_age_s"] >= 30
    assert {"batches", "mean_batch", "batch_sizes", "flush_ms_mean", "queued"} <= set(
        body["commit"]
    )
    assert {"status", "size", "checkedout"} <= set(body["db_pool"])


def test_monitoring_stats_list_each_daemon_with_its_age_and_mark_stale_ones(
    server: WebServer, client: httpx.Client, db: Engine
) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO program_status (program, host, pid, state, db_up, lock_holder,"
                " updated_at) VALUES"
                " ('sender', 'vm', 10, 'sending', true, true, now()),"
                " ('writer', 'vm', 11, 'running', true, NULL, now() - interval '60 seconds')"
            )
        )
    programs = client.get(f"{server.url}/monitoring/stats").json()["programs"]
    by_program = {p["program"]: p for p in programs}
    assert by_program["sender"]["state"] == "sending" and not by_program["sender"]["stale"]
    assert by_program["sender"]["lock_holder"] is True
    assert by_program["writer"]["stale"] and by_program["writer"]["age_s"] >= 60
    assert by_program["writer"]["state"] == "stale (running)"


@pytest.mark.parametrize("path", ["/health", "/monitoring/stats"])
def test_operator_pages_need_loopback_or_the_monitoring_token(
    server: WebServer, client: httpx.Client, path: str
) -> None:
    # Behind a reverse proxy on this host, the client is the forwarded address.
    remote = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get(f"{server.url}{path}", headers=remote).status_code == 403
    wrong = {**remote, "Authorization": "Bearer not-the-token"}
    assert client.get(f"{server.url}{path}", headers=wrong).status_code == 403
    right = {**remote, "Authorization": f"Bearer {TOKEN}"}
    assert client.get(f"{server.url}{path}", headers=right).status_code == 200


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made the way the Ansible role makes one."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; it makes the test certificate")
    cert, key = folder / "webhook.pem", folder / "webhook.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_with_a_certificate_the_webhook_is_served_over_https(
    pooled_url: str, tmp_path: Path, engine: Engine
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    session_id = open_question(engine, seed_quiz(engine))
    env = {"TLS_CERT_FILE": str(cert), "TLS_KEY_FILE": str(key), "FASTAPI_WORKERS": "1"}
    with web_server(pooled_url, tmp_path, **env) as server:
        assert server.url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(verify=trust, timeout=15) as https:
            response = post(https, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
        assert toast(response) == LOCKED_IN


def test_quizbot_web_execs_gunicorn_with_the_webhook(
    pooled_url: str, tmp_path: Path, engine: Engine
) -> None:
    session_id = open_question(engine, seed_quiz(engine))
    command = [sys.executable, "-m", "quizbot.cli", "web"]
    with web_server(pooled_url, tmp_path, command=command) as server:
        assert server.process is not None
        # exec, not a child: supervisor's signals reach the gunicorn master itself.
        assert b"gunicorn" in Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        with httpx.Client(timeout=15) as client:
            response = post(client, server, press(f"a:{session_id}:0:0", FIRST_PLAYER))
        assert toast(response) == LOCKED_IN


def test_without_a_webhook_secret_the_server_refuses_to_start_and_says_why(
    pooled_url: str, tmp_path: Path
) -> None:
    server = WebServer(
        env={"DATABASE_URL": pooled_url, "WEBHOOK_SECRET": "", "BOT_USERNAME": "b"},
        log_path=tmp_path / "gunicorn.log",
    )
    with pytest.raises(RuntimeError, match="gunicorn exited at start") as failure:
        server.start()
    assert "WEBHOOK_SECRET is required" in str(failure.value)
