#!/usr/bin/env bash
# Session 15 call 3 (H100): "ahead3" = the GEMV kernels (configs 0 and 4-6) fill all three
# buffers of their weight ring before griddepcontrol.wait (step 2's weights and, group >= 128, its
# scales; the CTA's L2 bulk prefetch covers three steps instead of two), where step 0 used to
# request step 2 after the wait. Against "base" (HEAD f9f7211's kernels), shipped H100 table,
# scale-only and zeros, every group, M = 1-16, interleaved twice. Then the whole GPU suite with
# ahead3's bundle (which also carries this session's test additions: configs 5/6 in the PDL chain
# test and the sanitizer matrix) and memcheck + racecheck over sanitize_matrix_small with PDL on.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
B="base=dist/v214base/gpu.tar.xz ahead3=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS="S Z" NAME=ahead3 OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab done t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh > /dev/null || exit 2
R=/tmp/res/ahead3-tests; mkdir -p "$R"
( cd /tmp/gpu && timeout 300 bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1; echo "suite rc=$? t=$(( $(date +%s) - t0 ))s" )
grep -hE "^== PDL|worst rel err gemv.cfg[456]|^PASS|^FAIL|panicked" "$R/run-gpu-tests.log" | head -30
( cd /tmp/gpu && W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
    OUT=$R/sanitize timeout 240 bash ./sanitize-gpu.sh /tmp/gpu > "$R/sanitize.log" 2>&1; echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s" )
cat "$R/sanitize/sanitize-summary.md" 2>/dev/null | tail -6
xz -9 "$R/run-gpu-tests.log"
tar czf "$OUT/ahead3-tests.tar.gz" -C /tmp/res ahead3-tests
echo "== t=$(( $(date +%s) - t0 ))s"
