"""gunicorn for the quizbot web tier: ``gunicorn -c config/gunicorn.conf.py quizbot.web.app:app``.

The same file serves the VM (supervisor), ``make demo``, the benches and the
tests; only the environment differs (see config/quizbot.env.example). It reads
the settings and sets up logging (``quizbot.logs``); the master then imports the
app (``preload_app``), which builds only its routing table: every engine, socket
and thread is made in each worker's lifespan, after the fork.
"""

from quizbot import logs
from quizbot.settings import load_settings

_settings = load_settings()
# The master sets up logging (and the token's redaction) before it forks: the
# workers inherit it, and gunicorn's and uvicorn's own loggers go through it too.
logs.setup("web", _settings)
if _settings.log_format == "json":
    # gunicorn configures its own loggers after reading this file; its one
    # formatter ("generic") becomes the same JSON, so every line of web.log parses.
    # Its loggers do not propagate, as without a dict: each line is written once.
    logconfig_dict = {
        "root": {"level": _settings.log_level.upper(), "handlers": ["console"]},
        "loggers": {
            name: {"level": "INFO", "handlers": [handler], "propagate": False, "qualname": name}
            for name, handler in (("gunicorn.error", "error_console"), ("gunicorn.access", "console"))
        },
        "formatters": {"generic": {"()": "quizbot.logs.JsonFormatter"}},
    }

wsgi_app = "quizbot.web.app:app"
bind = [_settings.web_bind]
# One uvicorn event loop per worker. On 2 CPUs two workers keep both cores busy
# while PostgreSQL works between flushes; each has its own group committer.
workers = _settings.fastapi_workers
worker_class = "uvicorn_worker.UvicornWorker"
# Never load the app in the master: engines, threads and statsd sockets must be
# created after fork (the app builds them in its lifespan).
preload_app = True

# Telegram opens up to WEBHOOK_MAX_CONNECTIONS (<= 100) connections and reuses
# them; keep idle ones open longer than its pauses between updates so bursts
# do not pay for new TCP/TLS handshakes.
keepalive = 75
# A burst of new connections (Telegram reconnecting, a load test) must queue in
# the kernel instead of being refused: 2048 accepts pending per listening socket.
backlog = 2048
# A worker silent for this long is killed and replaced. Handlers never block
# the loop (DB work is on threads), so only a real hang trips it.
timeout = 30
# On SIGTERM/HUP a worker stops accepting, finishes its requests and flushes
# its queued answers (lifespan shutdown) within this time; then it is killed.
graceful_timeout = 20
# Recycle workers now and then to cap any slow leak; the jitter keeps both
# workers from restarting at the same moment. High, because a restart costs a
# second of imports and an empty pool.
max_requests = 1_000_000
max_requests_jitter = 100_000
# The heartbeat file lives in memory: on a busy disk, fsync stalls of the
# default temp dir could get a healthy worker killed.
worker_tmp_dir = "/dev/shm"
# uvicorn trusts X-Forwarded-For only from these peers (a reverse proxy on the
# same host); /health and /monitoring/stats rely on the client address.
forwarded_allow_ips = "127.0.0.1,::1"

# Telegram accepts webhooks over HTTPS on 443, 80, 88 or 8443 only; gunicorn
# terminates TLS itself with the operator's (or Ansible's self-signed) pair.
if _settings.tls_cert_file and _settings.tls_key_file:
    certfile = _settings.tls_cert_file
    keyfile = _settings.tls_key_file

# No access log: at thousands of answers a second it would cost more CPU than
# the answers themselves. statsd has the counts and timings per route.
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
proc_name = "quizbot-web"
# gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl: one path per
# user, so two gunicorns of one user (the VM's web tier and a load test, or
# parallel test stacks) would fight over it. supervisorctl is the control here.
control_socket_disable = True


def post_fork(server: object, worker: object) -> None:
    """Have the kernel SIGTERM this worker when its master dies.

    A SIGKILLed master leaves its workers running, holding the listening
    socket: the master supervisord starts next cannot bind and exits, again and
    again, while orphans nobody supervises serve the webhook. With the signal
    the orphans shut down gracefully (they stop accepting at once and finish
    their requests), so the new master binds within its retries.
    """
    import ctypes
    import os
    import signal

    pr_set_pdeathsig = 1
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # the master died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
