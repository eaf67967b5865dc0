#!/bin/sh
# Make a controller venv with the pinned Ansible this playbook is tested with.
#
#   ansible/bootstrap.sh VENV [EXTRA_PIP_REQUIREMENT...]
#
# Used by the Vagrantfile (inside the VM, for ansible_local), by
# scripts/test-deploy (on the CI machine, with ansible-lint as an extra) and by
# operators on their workstation. ansible-galaxy's server is often unreachable
# from build machines, so the collections come out of the `ansible` wheel on
# PyPI instead: only the few the playbook needs, unpacked into the venv's
# site-packages, where ansible-core finds them without any extra setting.
# Running it again with the same pins changes nothing.
set -eu

ANSIBLE_CORE="ansible-core==2.19.14"
# The community package whose wheel carries the collections below.
ANSIBLE_BUNDLE="ansible==12.3.0"
COLLECTIONS="community/postgresql community/docker ansible/posix"

venv=${1:?usage: bootstrap.sh VENV [EXTRA_REQUIREMENT...]}
shift
python=${PYTHON:-python3}
stamp="$venv/.quizbot-bootstrap-$(printf '%s ' "$ANSIBLE_CORE" "$ANSIBLE_BUNDLE" "$COLLECTIONS" "$@" | sha1sum | cut -c1-12)"
[ -f "$stamp" ] && exit 0

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$ANSIBLE_CORE" "$@"

site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
"$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$download" "$ANSIBLE_BUNDLE"
"$venv/bin/python" - "$download"/ansible-*.whl "$site" $COLLECTIONS <<'EOF'
import shutil, sys, zipfile
from pathlib import Path

wheel, site, wanted = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
prefixes = tuple(f"ansible_collections/{name}/" for name in wanted)
for name in wanted:
    shutil.rmtree(site / "ansible_collections" / name, ignore_errors=True)
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if m.startswith(prefixes)]
    archive.extractall(site, members)
print(f"collections {', '.join(wanted)}: {len(members)} files into {site}")
EOF
rm -f "$venv"/.quizbot-bootstrap-*
touch "$stamp"
