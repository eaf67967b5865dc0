"""The one settings object, read once from the environment and an optional env file.

Every setting is documented in ``config/quizbot.env.example``. Secrets come only
from the environment (or the env file the operator installs), never from the repo.
A service asks for what it cannot run without with :meth:`Settings.require`, so a
missing value fails at start-up and names the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from starlette.config import Config

from quizbot.domain.game import GameRules
from quizbot.domain.scoring import ScoringRules


class MissingSetting(RuntimeError):
    """A required setting is not set; the message names the variable."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is required but not set (environment or env file)")
        self.name = name


def _default_var_dir() -> str:
    return str(Path.cwd() / ".var")


@dataclass(frozen=True)
class Settings:
    """Every knob of every quizbot program. Field names are the variable names, lowercased."""

    # Database. Unset DATABASE_URL means: an embedded PostgreSQL under QUIZBOT_VAR_DIR.
    database_url: str | None
    database_direct_url: str | None
    database_read_url: str | None
    read_max_lag_s: float
    db_pool_size: int
    db_max_overflow: int
    db_statement_timeout_ms: int
    db_lock_timeout_ms: int
    db_idle_in_transaction_timeout_ms: int
    db_keepalives_idle_s: int
    db_keepalives_interval_s: int
    db_keepalives_count: int
    quizbot_var_dir: str

    # Telegram.
    telegram_bot_token: str | None
    telegram_api_url: str
    bot_username: str | None
    webhook_secret: str | None
    webhook_public_url: str | None
    webhook_max_connections: int

    # Web tier.
    fastapi_workers: int
    web_bind: str
    tls_cert_file: str | None
    tls_key_file: str | None
    max_body_bytes: int
    wizard_messages_per_min: int
    monitoring_token: str | None
    commit_mode: str
    group_commit_max_batch: int
    group_commit_max_wait_ms: float

    # Sender.
    sender_workers: int
    send_rate_per_s: float
    paid_broadcast: bool
    per_chat_per_s: float
    per_chat_burst: int
    per_group_per_min: int
    send_max_attempts: int
    sender_lease_s: float
    sender_batch_size: int

    # Writer and game rules.
    writer_poll_ms: int
    transition_max_tries: int
    writer_statement_timeout_ms: int
    reveal_pause_s: float
    lobby_timeout_s: float
    abandon_after_s: float
    points_correct: int
    speed_bonus: int

    # Hosts' own quizzes.
    quota_quizzes_per_user: int
    quota_questions_per_quiz: int

    # Metrics and logs.
    statsd_host: str
    statsd_port: int
    statsd_prefix: str
    log_level: str
    log_format: str

    # Operating it (quizbot status).
    supervisor_url: str
    prometheus_url: str | None
    pgbouncer_admin_url: str | None

    def game_rules(self) -> GameRules:
        """The domain's game rules with this deployment's timings, scoring and send rate."""
        rate = 1000.0 if self.paid_broadcast else self.send_rate_per_s
        return GameRules(
            reveal_pause_s=round(self.reveal_pause_s),
            lobby_timeout_s=round(self.lobby_timeout_s),
            abandon_after_s=round(self.abandon_after_s),
            scoring=ScoringRules(points_correct=self.points_correct, speed_bonus=self.speed_bonus),
            broadcast_rate_per_s=rate,
        )

    def require(self, name: str) -> str:
        """The value of a required setting, or :class:`MissingSetting` naming it."""
        value = getattr(self, name.lower())
        if value is None or value == "":
            raise MissingSetting(name.upper())
        return str(value)


def _env_file() -> str | None:
    explicit = os.environ.get("QUIZBOT_ENV_FILE")
    if explicit:
        if not Path(explicit).is_file():
            raise FileNotFoundError(f"QUIZBOT_ENV_FILE={explicit} does not exist")
        return explicit
    return ".env" if Path(".env").is_file() else None


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    """Read every setting once. ``environ`` defaults to the process environment."""
    env = os.environ if environ is None else environ
    config = Config(env_file=_env_file() if environ is None else None, environ=env)

    def opt(name: str) -> str | None:
        value = config(name, default=None)
        return value if value else None

    values = dict(
        database_url=opt("DATABASE_URL"),
        database_direct_url=opt("DATABASE_DIRECT_URL"),
        database_read_url=opt("DATABASE_READ_URL"),
        read_max_lag_s=config("READ_MAX_LAG_S", cast=float, default=5.0),
        db_pool_size=config("DB_POOL_SIZE", cast=int, default=4),
        db_max_overflow=config("DB_MAX_OVERFLOW", cast=int, default=2),
        db_statement_timeout_ms=config("DB_STATEMENT_TIMEOUT_MS", cast=int, default=5000),
        db_lock_timeout_ms=config("DB_LOCK_TIMEOUT_MS", cast=int, default=2000),
        db_idle_in_transaction_timeout_ms=config(
            "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", cast=int, default=60000
        ),
        db_keepalives_idle_s=config("DB_KEEPALIVES_IDLE_S", cast=int, default=30),
        db_keepalives_interval_s=config("DB_KEEPALIVES_INTERVAL_S", cast=int, default=10),
        db_keepalives_count=config("DB_KEEPALIVES_COUNT", cast=int, default=3),
        quizbot_var_dir=config("QUIZBOT_VAR_DIR", default=_default_var_dir()),
        telegram_bot_token=opt("TELEGRAM_BOT_TOKEN"),
        telegram_api_url=config("TELEGRAM_API_URL", default="https://api.telegram.org"),
        bot_username=opt("BOT_USERNAME"),
        webhook_secret=opt("WEBHOOK_SECRET"),
        webhook_public_url=opt("WEBHOOK_PUBLIC_URL"),
        webhook_max_connections=config("WEBHOOK_MAX_CONNECTIONS", cast=int, default=100),
        fastapi_workers=config("FASTAPI_WORKERS", cast=int, default=2),
        web_bind=config("WEB_BIND", default="127.0.0.1:8000"),
        tls_cert_file=opt("TLS_CERT_FILE"),
        tls_key_file=opt("TLS_KEY_FILE"),
        max_body_bytes=config("MAX_BODY_BYTES", cast=int, default=65536),
        wizard_messages_per_min=config("WIZARD_MESSAGES_PER_MIN", cast=int, default=20),
        monitoring_token=opt("MONITORING_TOKEN"),
        commit_mode=config("COMMIT_MODE", default="group"),
        group_commit_max_batch=config("GROUP_COMMIT_MAX_BATCH", cast=int, default=1000),
        group_commit_max_wait_ms=config("GROUP_COMMIT_MAX_WAIT_MS", cast=float, default=0.0),
        sender_workers=config("SENDER_WORKERS", cast=int, default=10),
        send_rate_per_s=config("SEND_RATE_PER_S", cast=float, default=30.0),
        paid_broadcast=config("PAID_BROADCAST", cast=bool, default=False),
        per_chat_per_s=config("PER_CHAT_PER_S", cast=float, default=1.0),
        per_chat_burst=config("PER_CHAT_BURST", cast=int, default=3),
        per_group_per_min=config("PER_GROUP_PER_MIN", cast=int, default=20),
        send_max_attempts=config("SEND_MAX_ATTEMPTS", cast=int, default=40),
        sender_lease_s=config("SENDER_LEASE_S", cast=float, default=30.0),
        sender_batch_size=config("SENDER_BATCH_SIZE", cast=int, default=200),
        writer_poll_ms=config("WRITER_POLL_MS", cast=int, default=200),
        transition_max_tries=config("TRANSITION_MAX_TRIES", cast=int, default=5),
        writer_statement_timeout_ms=config("WRITER_STATEMENT_TIMEOUT_MS", cast=int, default=60000),
        reveal_pause_s=config("REVEAL_PAUSE_S", cast=float, default=3.0),
        lobby_timeout_s=config("LOBBY_TIMEOUT_S", cast=float, default=600.0),
        abandon_after_s=config("ABANDON_AFTER_S", cast=float, default=900.0),
        points_correct=config("POINTS_CORRECT", cast=int, default=100),
        speed_bonus=config("SPEED_BONUS", cast=int, default=50),
        quota_quizzes_per_user=config("QUOTA_QUIZZES_PER_USER", cast=int, default=50),
        quota_questions_per_quiz=config("QUOTA_QUESTIONS_PER_QUIZ", cast=int, default=100),
        statsd_host=config("STATSD_HOST", default="127.0.0.1"),
        statsd_port=config("STATSD_PORT", cast=int, default=8125),
        statsd_prefix=config("STATSD_PREFIX", default="quizbot"),
        log_level=config("LOG_LEVEL", default="INFO"),
        log_format=config("LOG_FORMAT", default="text"),
        supervisor_url=config("SUPERVISOR_URL", default="unix:///var/run/supervisor.sock"),
        prometheus_url=opt("PROMETHEUS_URL"),
        pgbouncer_admin_url=opt("PGBOUNCER_ADMIN_URL"),
    )
    if values["log_format"] not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {values['log_format']!r}")
    if values["commit_mode"] not in ("group", "naive"):
        raise ValueError(f"COMMIT_MODE must be 'group' or 'naive', not {values['commit_mode']!r}")
    return Settings(**values)  # type: ignore[arg-type]


def setting_names() -> list[str]:
    """Every variable name the settings read, for docs and the env example check."""
    return [f.name.upper() for f in fields(Settings)]
