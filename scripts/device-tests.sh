#!/usr/bin/env bash
# The GPU tests of one bundle on a device machine, run from the repository root:
#
#   [BUNDLE=dist/bundle/gpu.tar.xz] [NAME=tests] [LIMIT=420] [SANITIZE_TOOLS=...] \
#     [SANITIZE_TARGETS=...] OUT=... bash scripts/device-tests.sh
#
# 1. compute-sanitizer over the bundle's tests (scripts/sanitize-gpu.sh) with programmatic dependent
#    launch on (W4A16_PDL=1): by default memcheck and racecheck of sanitize_matrix_small (every
#    GEMV configuration, the tensor-core GEMV and the mma.sync kernels at small shapes, ~60 s on an
#    H100); SANITIZE_TOOLS / SANITIZE_TARGETS as in sanitize-gpu.sh; SANITIZE_TOOLS=none skips it.
# 2. the whole GPU suite (run-gpu-tests.sh, ~200 s on an H100), with what is left of LIMIT seconds.
# Logs: $OUT/$NAME.tar.gz (sanitizer logs and summary, the suite's log, xz). Exit status: 0 when
# both passed, 1 when either failed or ran out of time, 2 when the bundle could not be unpacked.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
NAME=${NAME:-tests}; LIMIT=${LIMIT:-420}
R=/tmp/res/$NAME; mkdir -p "$R"
bash "$REPO/scripts/unpack-bundle.sh" "${BUNDLE:-dist/bundle/gpu.tar.xz}" 2>&1 | tee "$R/build-info.txt"
[ -x /tmp/gpu/run-gpu-tests.sh ] || { echo "no bundle unpacked in /tmp/gpu" >&2; exit 2; }
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
rc=0
tools=${SANITIZE_TOOLS:-memcheck racecheck}
if [ "$tools" != none ]; then
  W4A16_PDL=1 SANITIZE_TOOLS="$tools" \
    SANITIZE_TARGETS="${SANITIZE_TARGETS:-test-reliability_gpu:sanitize_matrix_small}" \
    OUT="$R/sanitize" timeout $(( LIMIT / 2 )) bash /tmp/gpu/sanitize-gpu.sh /tmp/gpu > "$R/sanitize.log" 2>&1
  s=$?; [ $s -eq 0 ] || rc=1
  echo "== sanitize rc=$s t=$(( $(date +%s) - t0 ))s"; grep -E "^\| " "$R/sanitize.log"
fi
left=$(( LIMIT - ($(date +%s) - t0) ))
if [ $left -lt 60 ]; then
  echo "== run-gpu-tests NOT RUN: ${left}s of LIMIT left"; rc=1
else
  ( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout $left bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1 )
  s=$?; [ $s -eq 0 ] || rc=1
  echo "== run-gpu-tests rc=$s (limit ${left}s) t=$(( $(date +%s) - t0 ))s"
  tail -14 "$R/run-gpu-tests.log"; grep -hE "test result: FAILED|panicked" "$R/run-gpu-tests.log" | head
  xz -9 "$R/run-gpu-tests.log"
fi
tar czf "$OUT/$NAME.tar.gz" -C /tmp/res "$NAME"
echo "== $NAME rc=$rc t=$(( $(date +%s) - t0 ))s"
exit $rc
