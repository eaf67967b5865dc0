#!/bin/sh
# build-wheel.sh SOURCE OUT_DIR PYTHON: build the quizbot wheel of a checkout on
# the controller and print its path. The target never needs the repo or git.
#
# The build runs in a clean copy of what the wheel is made of, so a stale
# build/ or egg-info in the checkout cannot slip removed modules in; a fixed
# timestamp makes the same source give the same bytes, so the release id (the
# wheel's sha256) changes only when the code does.
set -eu
src=$1
out=$2
python=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cp -r "$src/pyproject.toml" "$src/README.md" "$src/services" "$work/src/"
find "$work/src" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
SOURCE_DATE_EPOCH=315532800 "$python" -m pip wheel --quiet --disable-pip-version-check \
  --no-deps --wheel-dir "$work/dist" "$work/src" >&2
mkdir -p "$out"
for wheel in "$work"/dist/quizbot-*.whl; do
  cp "$wheel" "$out/"
  echo "$out/$(basename "$wheel")"
done
