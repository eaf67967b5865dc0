#!/usr/bin/env bash
# Smoke tests of a provisioned host, run inside it as root by scripts/test-deploy
# once the playbook has been applied twice. Each check prints what it proved;
# the first failure stops the run with its evidence.
#
# Input (environment): QUIZBOT_PGBOUNCER_ADMIN_PASSWORD, for pgbouncer's console.
set -euo pipefail

ENV_FILE=/etc/quizbot/quizbot.env
VENV=/opt/quizbot/current/venv
STATE=/var/lib/quizbot
UNITS=(postgresql@15-main pgbouncer collectd supervisor nftables)

ok() { printf 'ok    %s\n' "$*"; }
fail() {
  printf 'FAIL  %s\n' "$*" >&2
  exit 1
}
setting() { sed -n "s/^$1=//p" "$ENV_FILE"; }
# As the programs run: the quizbot user, its settings, its directory.
as_app() { (cd "$STATE" && runuser -u quizbot -- env QUIZBOT_ENV_FILE="$ENV_FILE" "$@"); }
quizbot() { as_app "$VENV/bin/quizbot" "$@"; }
wait_for() { # wait_for SECONDS COMMAND...: until the command succeeds
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
programs_running() {
  local status
  status=$(supervisorctl status) || true
  for program in quizbot:web quizbot:sender quizbot:writer simulator:telegram-api; do
    grep -Eq "^$program +RUNNING" <<<"$status" || return 1
  done
}

# --- systemd ----------------------------------------------------------------------
for unit in "${UNITS[@]}"; do
  systemctl is-active --quiet "$unit" || fail "$unit is $(systemctl is-active "$unit")"
  systemctl is-enabled --quiet "$unit" || fail "$unit is not enabled at boot"
done
ok "active and enabled: ${UNITS[*]}"

# Unknown keys and bad values only warn (exit 0): any output is a failure.
verify=$(systemd-analyze verify --man=no "${UNITS[@]/%/.service}" 2>&1) || true
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
ok "systemd-analyze verify: silent for ${UNITS[*]}"

[ "$(systemctl show supervisor -p KillMode --value)" = mixed ] || fail "supervisor's drop-in is not in effect"
web_pid=$(supervisorctl pid quizbot:web)
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$web_pid/status" || fail "the programs run without the drop-in's sandbox"
[ "$(ps -o user= -p "$web_pid")" = quizbot ] || fail "gunicorn runs as $(ps -o user= -p "$web_pid")"
ok "supervisord runs with the drop-in (KillMode=mixed, sandboxed); programs run as quizbot"

# --- the programs -----------------------------------------------------------------
programs_running || fail "programs not all RUNNING: $(supervisorctl status)"
ok "RUNNING: quizbot:web quizbot:sender quizbot:writer simulator:telegram-api"

status=$(quizbot db status)
revision=$(sed -n 's/.*revision: \([^ ;]*\).*/\1/p' <<<"$status")
head=$(sed -n 's/.*code head: \([^ ;]*\).*/\1/p' <<<"$status")
[ -n "$head" ] && [ "$revision" = "$head" ] || fail "migrations not applied: $status"
ok "migrations applied: revision $revision (through pgbouncer)"

check=$(as_app "$VENV/bin/gunicorn" --check-config -c /etc/quizbot/config/gunicorn.conf.py quizbot.web.app:app 2>&1) ||
  fail "gunicorn --check-config: $check"
ok "gunicorn --check-config with the deployed config and settings"

# --- database ---------------------------------------------------------------------
pooled=$(setting DATABASE_URL)
direct=$(setting DATABASE_DIRECT_URL)
[ "$(psql "$pooled" -Atc 'SELECT current_user')" = quizbot ] || fail "no SCRAM login through pgbouncer"
[ "$(psql "$direct" -Atc 'SELECT current_setting($$server_version_num$$)::int / 10000')" = 15 ] ||
  fail "PostgreSQL is not 15"
admin="postgresql://pgbouncer_admin:${QUIZBOT_PGBOUNCER_ADMIN_PASSWORD}@127.0.0.1:6432/pgbouncer"
# Output captured before grep: grep -q in a pipe may exit before the writer
# finishes, and pipefail would then count the writer's SIGPIPE as a failure.
pgb_config=$(psql "$admin" -Atc 'SHOW CONFIG')
grep -q '^pool_mode|transaction|' <<<"$pgb_config" || fail "pgbouncer is not in transaction mode"
pgb_pools=$(psql "$admin" -Atc 'SHOW POOLS')
grep -q '^quizbot|quizbot|' <<<"$pgb_pools" || fail "no quizbot pool in pgbouncer: $pgb_pools"
ok "PostgreSQL 15 (SCRAM); pgbouncer in transaction mode, userlist from pg_authid (app and admin log in)"

# --- the webhook ------------------------------------------------------------------
# Verified TLS: the self-signed certificate is trusted on the host, as for Telegram.
health=$(curl -fsS https://127.0.0.1:8443/health) || fail "/health through gunicorn failed"
grep -q '"status":"ok"' <<<"$health" || fail "/health: $health"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H 'X-Telegram-Bot-Api-Secret-Token: wrong' -d '{"update_id": 1}' https://127.0.0.1:8443/telegram/webhook)
case "$code" in 401 | 403) ;; *) fail "webhook with a wrong secret answered $code" ;; esac
ok "/health OK over verified HTTPS through gunicorn; a wrong webhook secret gets $code"

input_chain=$(nft list chain inet filter input)
grep -q 'policy drop' <<<"$input_chain" || fail "the firewall's input policy is not drop: $input_chain"
ok "firewall loaded (input policy drop)"

# --- statsd into collectd ---------------------------------------------------------
probe="quizbot.ci.smoke$RANDOM"
prometheus_has() {
  local metrics
  metrics=$(curl -fsS http://127.0.0.1:9103/metrics) && grep -q "$1" <<<"$metrics"
}
echo -n "$probe:1|c" >/dev/udp/127.0.0.1/8125
# collectd reports every 10 s.
wait_for 30 prometheus_has "statsd=\"$probe\"" || fail "statsd packet to 127.0.0.1:8125 never reached collectd"
wait_for 30 prometheus_has 'statsd="quizbot\.web\.' || fail "no metric of the web tier reached collectd"
ok "statsd packets reach collectd (ours and the web tier's), exported by write_prometheus"

# --- a simulated live quiz --------------------------------------------------------
# The swarm plays through the real webhook (HTTPS), the sender delivers to the
# simulator within Telegram's limits, the writer runs the clock; afterwards the
# database must hold every answer the webhook acknowledged, once.
cat >"$STATE/ci-smoke.yaml" <<'EOF'
title: CI smoke
slug: ci-smoke
time_limit: 8
questions:
  - question: Two plus two?
    options: ["3", "4", "5"]
    correct: 2
  - question: The largest planet?
    options: [Mars, Jupiter, Venus]
    correct: 2
  - question: How many continents?
    options: ["5", "6", "7"]
    correct: 3
EOF
chown quizbot: "$STATE/ci-smoke.yaml"
quizbot quiz import "$STATE/ci-smoke.yaml" >/dev/null
report=$STATE/ci-smoke-report.json
rm -f "$report"
quizbot sim players --webhook-url https://127.0.0.1:8443/telegram/webhook \
  --api-url http://127.0.0.1:8081 --quiz ci-smoke --answers "$STATE/ci-smoke.yaml" \
  --players 20 --mode group --think-min 0.2 --think-max 1.5 --seed 7 --timeout 240 \
  --report "$report" >"$STATE/ci-smoke-swarm.log" 2>&1 ||
  fail "the swarm did not finish its quiz: $(tail -20 "$STATE/ci-smoke-swarm.log")"
as_app "$VENV/bin/python" - "$report" <<'EOF' || fail "the database does not match what the players were told"
import json
import sys
from types import SimpleNamespace

from quizbot.settings import load_settings
from quizbot.stack.live import check_against_database
from quizbot.store.database import normalize_url

settings = load_settings()
with open(sys.argv[1]) as f:
    swarm = json.load(f)
target = SimpleNamespace(
    direct_url=normalize_url(settings.database_direct_url), env={}, settings=settings
)
truth = check_against_database(target, swarm, swarm["session_id"])
summary = {k: swarm[k] for k in ("players", "answers_sent", "answers_acknowledged", "duration_s")}
print("      ", json.dumps({**summary, **truth}))
problems = [
    name
    for name, bad in (
        ("quiz not finished", not swarm["finished"] or truth["session_status"] != "finished"),
        ("no answers", swarm["answers_sent"] == 0),
        ("unacknowledged answers", swarm["answers_acknowledged"] != swarm["answers_sent"]),
        ("acknowledged answers not recorded", truth["lost"] != 0),
        ("answers recorded twice or never acknowledged", truth["double_counted"] != 0),
        ("recorded != acknowledged", truth["answers_recorded"] != swarm["answers_acknowledged"]),
        ("scores differ from a recomputation", not truth["scores_match"]),
        ("results not written in one commit", truth["results_commits"] != 1),
    )
    if bad
]
if problems:
    sys.exit("; ".join(problems))
EOF
ok "a simulated live quiz (20 players, group) finished; every acknowledged answer is recorded once"

# --- a clean stop and start -------------------------------------------------------
systemctl stop supervisor
leftover=$(pgrep -u quizbot -a || true)
[ -z "$leftover" ] || fail "processes outlived supervisor's stop: $leftover"
systemctl start supervisor
wait_for 60 programs_running || fail "programs did not come back: $(supervisorctl status)"
ok "systemctl stop supervisor leaves no quizbot process behind; start brings all back"
