#!/usr/bin/env bash
# Smoke tests of a provisioned host, run inside it as root by scripts/test-deploy
# once the playbook has been applied twice. Each check prints what it proved;
# the first failure stops the run with its evidence.
#
# Input (environment): QUIZBOT_PGBOUNCER_ADMIN_PASSWORD, for pgbouncer's console;
# files: /root/ci/queries.py and /root/ci/dashboard.json (scripts/test-deploy copies them).
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
# exec: a program started in the background has runuser's pid, and runuser
# passes a SIGTERM on to it.
as_app() { (cd "$STATE" && exec runuser -u quizbot -- env QUIZBOT_ENV_FILE="$ENV_FILE" "$@"); }
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

# A lean install: the benchmarks' and the embedded database's packages are extras
# (quizbot[bench], quizbot[embedded]) that the VM leaves out.
extras=$("$VENV/bin/python" -c '
import importlib.util
print(" ".join(m for m in ("matplotlib", "pgserver") if importlib.util.find_spec(m)))')
[ -z "$extras" ] || fail "the venv has packages a production install leaves out: $extras"
venv_size=$(du -sh "$(readlink -f "$VENV")" | cut -f1)
ok "the venv has neither matplotlib nor pgserver ($venv_size)"

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

# --- monitoring: Prometheus, its targets, an alert end to end ----------------------
PROM=http://127.0.0.1:9090
# prom PYTHON_EXPR PATH: evaluate an expression over the JSON at $PROM$PATH (as `d`).
prom() { curl -fsS "$PROM$2" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
for unit in prometheus prometheus-alertmanager prometheus-node-exporter \
  prometheus-postgres-exporter quizbot-backup.timer; do
  systemctl is-active --quiet "$unit" || fail "$unit is $(systemctl is-active "$unit")"
  systemctl is-enabled --quiet "$unit" || fail "$unit is not enabled at boot"
done
verify=$(systemd-analyze verify --man=no quizbot-backup.service quizbot-backup.timer 2>&1) || true
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
all_up='d["data"]["activeTargets"] and all(t["health"] == "up" for t in d["data"]["activeTargets"])'
wait_for 90 prom "$all_up" /api/v1/targets ||
  fail "Prometheus targets not all up: $(curl -fsS $PROM/api/v1/targets | python3 -c 'import json,sys; print([(t["labels"]["job"], t["health"], t["lastError"]) for t in json.load(sys.stdin)["data"]["activeTargets"]])')"
jobs=$(curl -fsS $PROM/api/v1/targets | python3 -c 'import json,sys; print(" ".join(sorted({t["labels"]["job"] for t in json.load(sys.stdin)["data"]["activeTargets"]})))')
[ "$jobs" = "collectd node postgres prometheus" ] || fail "unexpected scrape jobs: $jobs"
# pgbouncer's pools come through collectd's postgresql plugin (config/collectd/pgbouncer.conf).
pools='any(r["metric"]["type"] == "cl_active-quizbot-quizbot" for r in d["data"]["result"])'
wait_for 60 prom "$pools" '/api/v1/query?query=collectd_postgresql_gauge%7Bpostgresql%3D%22pgbouncer%22%7D' ||
  fail "pgbouncer's pools never reached Prometheus: $(curl -fsS "$PROM/api/v1/query?query=collectd_postgresql_gauge")"
rules='len([r for g in d["data"]["groups"] for r in g["rules"]]) >= 17'
prom "$rules" /api/v1/rules || fail "Prometheus did not load quizbot's alert rules"
ok "Prometheus: every target up ($jobs); quizbot's alert rules loaded; backup timer enabled"

# The sender stopped: QuizbotProgramDown must fire within its for: plus one
# scrape interval and one evaluation interval (the test inventory's, read back
# from Prometheus; collectd counts processes every second, and write_prometheus
# stamps each count with the time it was read), reach Alertmanager, and resolve
# once the sender runs again. When it fired is Prometheus's own figure: the
# evaluation that first saw the sender gone (activeAt) plus for:, so the
# polling below adds nothing to it.
bounds=$(curl -fsS $PROM/api/v1/rules | python3 -c '
import json, re, sys, urllib.request
rules = json.load(sys.stdin)["data"]["groups"]
hold = [r["duration"] for g in rules for r in g["rules"] if r["name"] == "QuizbotProgramDown"][0]
config = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/status/config"))["data"]["yaml"]
seconds = lambda key: int(re.search(key + r": (\d+)s\n", config).group(1))
print(int(hold), seconds("scrape_interval"), seconds("evaluation_interval"))')
read -r hold scrape evaluation <<<"$bounds"
bound=$((hold + scrape + evaluation))
sender_down='any(a["labels"]["alertname"] == "QuizbotProgramDown" and a["labels"].get("processes") == "quizbot-sender" and a["state"] == "firing" for a in d["data"]["alerts"])'
prom "not ($sender_down)" /api/v1/alerts || fail "QuizbotProgramDown fires while the sender runs"
supervisorctl stop quizbot:sender >/dev/null
t0=$(date +%s.%N)
wait_for $((2 * bound)) prom "$sender_down" /api/v1/alerts ||
  fail "QuizbotProgramDown did not fire within $((2 * bound)) s of stopping the sender: $(curl -fsS $PROM/api/v1/alerts);" \
    "process counts: $(curl -fsS "$PROM/api/v1/query?query=collectd_processes_ps_count_processes%5B2m%5D")"
seen=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$t0")
fired=$(curl -fsS $PROM/api/v1/alerts | python3 -c '
import json, sys
from datetime import datetime
t0, hold = float(sys.argv[1]), float(sys.argv[2])
alert = [a for a in json.load(sys.stdin)["data"]["alerts"]
         if a["labels"]["alertname"] == "QuizbotProgramDown" and a["labels"].get("processes") == "quizbot-sender"][0]
# RFC 3339 with up to nanoseconds; fromisoformat takes microseconds.
stamp = alert["activeAt"].replace("Z", "+00:00")
head, _, zone = stamp.partition("+")
if "." in head:
    head = head[: head.index(".") + 7]
fired_at = datetime.fromisoformat(f"{head}+{zone}").timestamp() + hold
print(f"{fired_at - t0:.1f}")' "$t0" "$hold")
python3 -c "import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]))" "$fired" "$bound" ||
  fail "QuizbotProgramDown fired $fired s after the sender stopped, over its bound of $bound s (for ${hold} s + scrape ${scrape} s + evaluation ${evaluation} s)"
am_has() { curl -fsS 'http://127.0.0.1:9093/api/v2/alerts?filter=alertname="QuizbotProgramDown"' | grep -q quizbot-sender; }
wait_for 30 am_has || fail "the alert did not reach Alertmanager"
supervisorctl start quizbot:sender >/dev/null
t1=$SECONDS
wait_for 90 prom "not ($sender_down)" /api/v1/alerts || fail "QuizbotProgramDown did not resolve after the sender started"
ok "sender stopped: QuizbotProgramDown fired after ${fired} s (seen by polling after ${seen} s; bound ${bound} s: for ${hold} + scrape ${scrape} + evaluation ${evaluation}), in Alertmanager; resolved $((SECONDS - t1)) s after start"

# --- quizbot status: root sees every figure, the app user all but program states ---
status_root=$(cd /tmp && QUIZBOT_ENV_FILE=$ENV_FILE "$VENV/bin/quizbot" status --json)
python3 - "$status_root" <<'PY' || fail "quizbot status as root: $status_root"
import json, sys
s = json.loads(sys.argv[1])
assert s["programs"]["value"]["quizbot:sender"] == "RUNNING", s["programs"]
for key in ("outbox", "live_sessions", "pgbouncer_pools", "answers_per_s", "ack_p99_ms"):
    assert "value" in s[key], (key, s[key])
assert s["answers_per_s"]["source"] == "prometheus", s["answers_per_s"]
PY
status_app=$(quizbot status --json)
python3 - "$status_app" <<'PY' || fail "quizbot status as quizbot: $status_app"
import json, sys
s = json.loads(sys.argv[1])
assert "error" in s["programs"], s["programs"]
for key in ("outbox", "live_sessions", "pgbouncer_pools", "answers_per_s"):
    assert "value" in s[key], (key, s[key])
PY
ok "quizbot status: every figure as root; all but the program states as quizbot"

# --- a backup taken mid-quiz restores, and matches ---------------------------------
report2=$STATE/ci-backup-report.json
rm -f "$report2"
as_app "$VENV/bin/quizbot" sim players --webhook-url https://127.0.0.1:8443/telegram/webhook \
  --api-url http://127.0.0.1:8081 --quiz ci-smoke --answers "$STATE/ci-smoke.yaml" \
  --players 20 --mode group --think-min 0.5 --think-max 3 --seed 8 --timeout 240 \
  --report "$report2" >"$STATE/ci-backup-swarm.log" 2>&1 &
swarm=$!
# A failed check below must not leave the players running (and holding the
# caller's lock) in a guest kept for debugging.
trap 'kill "$swarm" 2>/dev/null || true' EXIT
psql_db() { runuser -u postgres -- env PGOPTIONS=--client-min-messages=warning psql -d "$1" -Atc "$2"; }
question_open() { [ "$(psql_db quizbot "SELECT count(*) FROM sessions WHERE status = 'question'")" -gt 0 ]; }
wait_for 120 question_open || fail "the second quiz never opened a question"
dumped_at=$(psql_db quizbot "SELECT now()")
systemctl start quizbot-backup.service || fail "quizbot-backup.service failed: $(journalctl -u quizbot-backup -n 20 --no-pager)"
dump=$(ls -1t /var/backups/quizbot/nightly-*.dump | head -1)
psql_db postgres 'DROP DATABASE IF EXISTS quizbot_ci_restore' >/dev/null
(cd /tmp && runuser -u postgres -- "$VENV/bin/quizbot" db restore "$dump" --into quizbot_ci_restore \
  --admin-url 'postgresql:///postgres?host=/run/postgresql') || fail "quizbot db restore $dump failed"
finished="SELECT md5(string_agg(r.session_id || ':' || r.player_id || ':' || r.score || ':' || r.rank, ',' ORDER BY r.session_id, r.player_id)) || ' ' || count(*) FROM results r JOIN sessions s ON s.id = r.session_id WHERE s.finished_at < '$dumped_at'"
live=$(psql_db quizbot "$finished")
restored=$(psql_db quizbot_ci_restore "$finished")
[ "$live" = "$restored" ] && [ "${live##* }" -gt 0 ] ||
  fail "the restored results of sessions finished before the dump differ: live $live, restored $restored"
wait "$swarm" || fail "the quiz played during the backup did not finish: $(tail -20 "$STATE/ci-backup-swarm.log")"
trap - EXIT
psql_db postgres 'DROP DATABASE quizbot_ci_restore' >/dev/null
ok "backup mid-quiz ($(basename "$dump")): restored into a scratch database, migrated; ${live##* } result rows of finished sessions match"

# --- every alert rule's and dashboard panel's query, on this Prometheus ------------
# After the quizzes: each query is accepted, names series that exist, and each
# panel shows data (scripts/deploy/queries.py says which may not, and why).
queries=$(python3 /root/ci/queries.py /root/ci/dashboard.json "$PROM" 2>&1) ||
  fail "queries of the rules and the dashboard: $queries"
ok "$queries"
