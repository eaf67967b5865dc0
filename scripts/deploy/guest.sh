# shellcheck shell=bash
# A throw-away Debian bookworm machine for scripts/test-deploy: a cached root
# file system, booted with systemd-nspawn in a network namespace of its own.
#
# systemd is PID 1 inside, as on the VM, so units, enablement and drop-ins
# behave as in production; the private network namespace keeps the guest's
# PostgreSQL, pgbouncer and gunicorn ports away from anything on this machine.
# Sourced by scripts/test-deploy, which sets CACHE (persistent) and RUN (this
# run's scratch directory) and holds the lock that makes these names ours.
# The machine_* functions boot, enter and halt any number of such machines
# (scripts/test-deploy-multi boots five); guest_* is the one of test-deploy.

GUEST_MACHINE=quizbot-ci
GUEST_NETNS=quizbotci
GUEST_VETH_HOST=qbci0
GUEST_VETH_GUEST=qbci1
# A /30 of our own for the veth pair: the host side is the guest's gateway.
GUEST_NET=10.213.47.0/30
GUEST_HOST_IP=10.213.47.1
GUEST_IP=10.213.47.2
# nft table names cannot contain '-'.
GUEST_NFT_TABLE=quizbot_ci

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# What a Vagrant box of bookworm has that Ansible needs: python3 (+ apt
# bindings), sudo for become, and systemd as init.
GUEST_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,ca-certificates,sudo
# A cached root older than this is rebuilt, so the guest starts near the
# current point releases and security updates.
GUEST_ROOT_MAX_AGE_DAYS=7

# The cached root's tarball: built once, then reused until the recipe changes
# or it is older than GUEST_ROOT_MAX_AGE_DAYS.
guest_root_tarball() {
  local recipe key tarball partial
  recipe="minbase|$GUEST_PACKAGES|$DEBIAN_MIRROR|$DEBIAN_SECURITY_MIRROR|bookworm,updates,security|v1"
  key=$(printf '%s' "$recipe" | sha1sum | cut -c1-12)
  tarball="$CACHE/bookworm-$key.tar.zst"
  if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +"$GUEST_ROOT_MAX_AGE_DAYS")" ]; then
    echo "$tarball"
    return
  fi
  partial="$CACHE/partial-$key.tar.zst"
  # --skip=cleanup/apt/lists keeps the package lists, so the apt module's
  # cache_valid_time finds packages without an update on every run.
  mmdebstrap --quiet --variant=minbase --skip=cleanup/apt/lists \
    --include="$GUEST_PACKAGES" \
    --customize-hook='truncate -s 0 "$1/etc/machine-id"' \
    bookworm "$partial" \
    "deb $DEBIAN_MIRROR bookworm main" \
    "deb $DEBIAN_MIRROR bookworm-updates main" \
    "deb $DEBIAN_SECURITY_MIRROR bookworm-security main" >&2
  mv "$partial" "$tarball"
  find "$CACHE" -maxdepth 1 -name 'bookworm-*.tar.zst' ! -path "$tarball" -delete
  echo "$tarball"
}

# machine_unpack TARBALL ROOT: the root onto a tmpfs at ROOT (about 1 s, and dpkg
# inside runs much faster than on disk), trusting the same extra CAs as this machine.
machine_unpack() {
  local tarball=$1 root=$2
  mkdir -p "$root"
  mount -t tmpfs -o size="${GUEST_TMPFS_SIZE:-8G}",mode=0755 quizbot-ci-root "$root"
  zstd -dc --quiet "$tarball" | tar -x -C "$root" --numeric-owner --xattrs --xattrs-include='*'
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
  fi
}
guest_unpack() { machine_unpack "$1" "$RUN/root"; }

# The guest's own network namespace, a veth to it, and masquerading so it
# reaches the package mirrors (and nothing of the guest is reachable from here).
guest_network() {
  cat /proc/sys/net/ipv4/ip_forward >"$RUN/ip_forward.saved"
  ip netns add "$GUEST_NETNS"
  ip link add "$GUEST_VETH_HOST" type veth peer name "$GUEST_VETH_GUEST"
  ip link set "$GUEST_VETH_GUEST" netns "$GUEST_NETNS"
  ip addr add "$GUEST_HOST_IP/30" dev "$GUEST_VETH_HOST"
  ip link set "$GUEST_VETH_HOST" up
  ip -n "$GUEST_NETNS" addr add "$GUEST_IP/30" dev "$GUEST_VETH_GUEST"
  ip -n "$GUEST_NETNS" link set "$GUEST_VETH_GUEST" up
  ip -n "$GUEST_NETNS" link set lo up
  ip -n "$GUEST_NETNS" route add default via "$GUEST_HOST_IP"
  # nft rejects a one-line table { chain { ... } }: keep it on several lines.
  nft -f - <<EOF
table ip $GUEST_NFT_TABLE {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $GUEST_NET oifname != "$GUEST_VETH_HOST" masquerade
  }
}
EOF
  echo 1 >/proc/sys/net/ipv4/ip_forward
}

# machine_cgroup NAME: move this (sub)shell into a cgroup of its own, NAME, in
# each hierarchy systemd uses. nspawn puts its container in <its cgroup>/payload:
# machines started from one shell would share one, and their systemds would
# fight over it (a unit's processes then fail with status 219/CGROUP).
machine_cgroup() {
  local name=$1 dir rel
  for dir in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [ -f "$dir/cgroup.procs" ] || continue
    if [ "$dir" = /sys/fs/cgroup/systemd ]; then
      rel=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup)
    else
      rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
    fi
    mkdir -p "$dir${rel%/}/$name"
    echo "$BASHPID" >"$dir${rel%/}/$name/cgroup.procs"
  done
}

# machine_cgroup_remove NAME: its cgroups, once the machine is gone (best effort).
machine_cgroup_remove() {
  local dir
  for dir in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [ -f "$dir/cgroup.procs" ] || continue
    find "$dir" -maxdepth 3 -type d -name "$1" -exec find {} -depth -type d -exec rmdir {} + \; 2>/dev/null || true
  done
}

# machine_boot NAME ROOT NETNS [NSPAWN-OPTION...]: boot ROOT as machine NAME in
# the network namespace NETNS; prints the pid of its systemd (PID 1 inside)
# once the machine reports running or degraded. $RUN/NAME.nspawn.pid and
# $RUN/NAME.pid remember it.
machine_boot() {
  local name=$1 root=$2 netns=$3 state="" i pid="" nspawn
  shift 3
  # Without systemd on the host, nspawn cannot register the machine or make
  # a scope: --register=no --keep-unit. CAP_NET_ADMIN only reaches the
  # machine's own namespace, and lets its nftables.service load the firewall.
  (
    machine_cgroup "$name"
    exec setsid systemd-nspawn -D "$root" -M "$name" -b \
      --register=no --keep-unit --link-journal=no \
      --network-namespace-path="/run/netns/$netns" \
      --resolv-conf=copy-host --console=passive \
      --capability=CAP_NET_ADMIN "$@"
  ) >"$RUN/logs/nspawn-$name.log" 2>&1 </dev/null 9>&- &
  nspawn=$!
  echo "$nspawn" >"$RUN/$name.nspawn.pid"
  for i in $(seq 1 240); do
    if ! kill -0 "$nspawn" 2>/dev/null; then
      cat "$RUN/logs/nspawn-$name.log" >&2
      echo "systemd-nspawn of $name exited during boot" >&2
      return 1
    fi
    [ -n "$pid" ] || pid=$(pgrep -P "$nspawn" -x systemd || true)
    if [ -n "$pid" ]; then
      state=$(nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null || true)
      case "$state" in running | degraded) break ;; esac
    fi
    sleep 0.25
  done
  case "$state" in
    running | degraded) ;;
    *) echo "$name did not finish booting (state: ${state:-none})" >&2; return 1 ;;
  esac
  echo "$pid" >"$RUN/$name.pid"
  echo "$pid"
}

guest_boot() {
  mkdir -p "$CACHE/apt-archives/partial" "$CACHE/pip"
  # Downloads are cached across runs; what is installed is still installed
  # afresh by the playbook on every run.
  GUEST_PID=$(machine_boot "$GUEST_MACHINE" "$RUN/root" "$GUEST_NETNS" \
    --bind="$CACHE/apt-archives:/var/cache/apt/archives" --bind="$CACHE/pip:/root/.cache/pip")
  echo "$GUEST_PID" >"$RUN/guest.pid"
}

# machine_exec PID COMMAND...: run a command inside a machine (all of its
# namespaces), with a clean environment: host variables (PIP_*, CA paths) must
# not leak in.
machine_exec() {
  local pid=$1
  shift
  nsenter -t "$pid" -a -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/root TERM=dumb "$@"
}
guest_exec() {
  guest_check_pid
  machine_exec "$GUEST_PID" "$@"
}

# machine_check NAME PID: never nsenter a stale pid: it must still be the
# systemd child of our nspawn of NAME.
machine_check() {
  local name=$1 pid=$2 nspawn
  nspawn=$(cat "$RUN/$name.nspawn.pid" 2>/dev/null || true)
  if [ -z "$pid" ] || [ -z "$nspawn" ] ||
    [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" != "$nspawn" ] ||
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != systemd ]; then
    echo "$name is not running (pid ${pid:-none} is not our nspawn's systemd)" >&2
    return 1
  fi
}
guest_check_pid() { machine_check "$GUEST_MACHINE" "${GUEST_PID:-}"; }

# machine_halt NAME ROOT [kill]: halt machine NAME cleanly (SIGTERM asks its
# systemd to stop services in order; SIGKILL after 60 s), or at once with
# "kill" (a power cut); then unmount its root. Safe to call twice.
machine_halt() {
  local name=$1 root=$2 how=${3:-halt} nspawn init i
  nspawn=$(cat "$RUN/$name.nspawn.pid" 2>/dev/null || true)
  if [ -n "$nspawn" ] && grep -qa "$name" "/proc/$nspawn/cmdline" 2>/dev/null; then
    if [ "$how" = kill ]; then
      # The machine's systemd first: it is PID 1 of the machine's PID
      # namespace, so the kernel kills every process in it at once. Killing
      # only nspawn would leave the machine running, reparented to this
      # machine's init, past the test's end.
      init=$(cat "$RUN/$name.pid" 2>/dev/null || true)
      if [ -n "$init" ] && [ "$(ps -o ppid= -p "$init" 2>/dev/null | tr -d ' ')" = "$nspawn" ]; then
        kill -KILL "$init" 2>/dev/null || true
      fi
      kill -KILL "$nspawn" 2>/dev/null || true
    else
      kill -TERM "$nspawn" 2>/dev/null || true
    fi
    for i in $(seq 1 120); do
      kill -0 "$nspawn" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$nspawn" 2>/dev/null; then
      echo "$name did not halt in 60 s: killing it" >&2
      kill -KILL "$nspawn" 2>/dev/null || true
      sleep 1
    fi
  fi
  rm -f "$RUN/$name.nspawn.pid" "$RUN/$name.pid"
  machine_cgroup_remove "$name"
  [ "$how" = kill ] && return 0
  if mountpoint -q "$root" 2>/dev/null; then
    umount "$root" 2>/dev/null || umount -l "$root"
  fi
}

# Undo everything above; safe to call at any point, and twice.
guest_teardown() {
  # A guest kept by an earlier version of this file remembered nspawn.pid.
  if [ -f "$RUN/nspawn.pid" ]; then mv "$RUN/nspawn.pid" "$RUN/$GUEST_MACHINE.nspawn.pid"; fi
  machine_halt "$GUEST_MACHINE" "$RUN/root"
  rm -f "$RUN/guest.pid"
  nft delete table ip "$GUEST_NFT_TABLE" 2>/dev/null || true
  ip link del "$GUEST_VETH_HOST" 2>/dev/null || true
  ip netns del "$GUEST_NETNS" 2>/dev/null || true
  if [ -f "$RUN/ip_forward.saved" ]; then
    cat "$RUN/ip_forward.saved" >/proc/sys/net/ipv4/ip_forward
    rm -f "$RUN/ip_forward.saved"
  fi
}
