#!/usr/bin/env bash
# Unpacks a bundle archive (default dist/bundle/gpu.tar.xz, from make gpu-bundle; or the archive
# named as the one argument, relative to the repository root) into /tmp/gpu on a device machine:
# with tar's xz when the machine has it, else with Python's standard library (scripts/untar.py).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
a=${1:-dist/bundle/gpu.tar.xz}
[ -f "$a" ] || { echo "no bundle carried ($a: run make gpu-bundle, carry its folder)" >&2; exit 2; }
rm -rf /tmp/gpu
if command -v xz >/dev/null 2>&1; then
  tar xJf "$a" -C /tmp || exit 2
else
  python3 scripts/untar.py "$a" /tmp || exit 2
fi
. scripts/device-lib.sh
build_info /tmp/gpu "$a"
