# shellcheck shell=bash
# What scripts/test-deploy and scripts/test-deploy-multi share: logging and
# timing, the host's tools and the Ansible venv, fresh secrets, Ansible with a
# clean environment, the frozen checkout, and a playbook run with its recap.
#
# The sourcing script sets REPO, CACHE (persistent), RUN (this run's scratch
# directory), SRC ($RUN/checkout), ANSIBLE_VENV and TAG (the name its lines
# start with), and holds the lock that makes RUN its own.

# The controller's ansible-lint, installed into the Ansible venv beside the
# pinned Ansible (ansible/bootstrap.sh).
ANSIBLE_LINT="ansible-lint==26.10.1"

STARTED=$(date +%s)
TIMINGS=()
log() { printf '\n[%s %4ss] %s\n' "$TAG" "$(($(date +%s) - STARTED))" "$*"; }
die() { printf '\n[%s] FAILED: %s\n' "$TAG" "$*" >&2; exit 1; }
phase() { # phase NAME COMMAND...: run and remember how long it took
  local name=$1 t0=$(date +%s)
  shift
  log "$name"
  "$@"
  TIMINGS+=("$(printf '%-28s %4ss' "$name" "$(($(date +%s) - t0))")")
}

host_tools() {
  local missing=()
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
  command -v zstd >/dev/null || missing+=(zstd)
  command -v nft >/dev/null || missing+=(nftables)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v vagrant >/dev/null || missing+=(vagrant)
  command -v ruby >/dev/null || missing+=(ruby)
  command -v curl >/dev/null || missing+=(curl)
  command -v pgrep >/dev/null || missing+=(procps)
  if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  "$REPO/ansible/bootstrap.sh" "$ANSIBLE_VENV" "$ANSIBLE_LINT"
}

# Secrets come from the environment (the inventories read them there); fresh
# ones each run, never written to the repo.
secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }
export_secrets() {
  [ -f "$RUN/secrets" ] || cat >"$RUN/secrets" <<EOS
QUIZBOT_DB_PASSWORD=$(secret)
QUIZBOT_PGBOUNCER_ADMIN_PASSWORD=$(secret)
QUIZBOT_REPLICATION_PASSWORD=$(secret)
QUIZBOT_WEBHOOK_SECRET=$(secret)
QUIZBOT_MONITORING_TOKEN=$(secret)
EOS
  chmod 600 "$RUN/secrets"
}

# ansible-* with a clean environment: the nsenter connection hands the
# controller's environment to every command in the guest, so host PIP_* and CA
# variables must not be in it, and HOME is the guest's /root (as sudo -H gives
# on a VM: pip's cache, bound from $CACHE/pip, is found there). Ansible's own
# files stay in $RUN.
ansible_env() {
  local secrets=()
  [ -f "$RUN/secrets" ] && mapfile -t secrets <"$RUN/secrets"
  env -i PATH="$ANSIBLE_VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root LANG=C.UTF-8 \
    ANSIBLE_CONFIG="$SRC/ansible/ansible.cfg" ANSIBLE_HOME="$RUN/home/.ansible" \
    ANSIBLE_LOCAL_TEMP="$RUN/home/.ansible/tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 \
    "${secrets[@]}" "$@"
}

# The checkout under test, frozen: both playbook runs must deploy the same code
# and config even if the working tree changes meanwhile.
snapshot() {
  rm -rf "$RUN/checkout"
  mkdir -p "$RUN/checkout"
  tar -C "$REPO" --exclude=./.git --exclude=./.venv --exclude=./.var --exclude=./dist \
    --exclude=./build --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache \
    --exclude=.ruff_cache --exclude=.pytest_cache -cf - . | tar -C "$RUN/checkout" -xf -
}

# run_playbook N ARGS...: ansible-playbook ARGS site.yml from the checkout's
# ansible/; the log goes to $RUN/logs/play-N.log, the PLAY RECAP lines to $RUN/recap-N.
run_playbook() {
  local n=$1 status=0
  shift
  cd "$SRC/ansible"
  ansible_env ansible-playbook "$@" site.yml 2>&1 | tee "$RUN/logs/play-$n.log" || status=$?
  cd "$REPO"
  sed -n '/^PLAY RECAP/,/^$/p' "$RUN/logs/play-$n.log" | grep ' : ok=' >"$RUN/recap-$n" || true
  [ "$status" = 0 ] || die "playbook run $n failed (log: $RUN/logs/play-$n.log)"
}

# After run_playbook N: every host must report changed=0.
require_no_changes() {
  if grep -v ' changed=0 ' "$RUN/recap-$1" >/dev/null; then
    grep -E '^(changed|TASK)' "$RUN/logs/play-$1.log" | grep -B1 '^changed' >&2 || true
    die "the second run changed something: $(cat "$RUN/recap-$1")"
  fi
}

report() {
  log "done"
  printf '  %s\n' "${TIMINGS[@]}"
  for n in 1 2; do
    if [ -f "$RUN/recap-$n" ]; then tr -s ' ' <"$RUN/recap-$n" | sed "s/^/  run $n: /"; fi
  done
  printf '  total %ss\n' "$(($(date +%s) - STARTED))"
}
