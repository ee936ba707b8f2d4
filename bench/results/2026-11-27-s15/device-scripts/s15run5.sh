#!/usr/bin/env bash
# Session 15 call 5 (H100): HEAD's kernels (f9f7211, dist/bundle rebuilt from HEAD with this
# session's test additions: configs 5 and 6 in the PDL chain test and in the sanitizer matrix):
# test-reliability_gpu, then memcheck + racecheck over sanitize_matrix_small with PDL on. Calls 3
# and 4 ran the same tests on the rejected experiment builds.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
bash scripts/unpack-bundle.sh > /dev/null || exit 2
R=/tmp/res/head-tests; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
( cd /tmp/gpu && timeout 200 bash ./run-gpu-tests.sh --only reliability_gpu > "$R/reliability.log" 2>&1; echo "reliability rc=$? t=$(( $(date +%s) - t0 ))s" )
grep -hE "^test .*(ok|FAILED)$|== |^PASS|^FAIL|panicked" "$R/reliability.log" | head -30
( cd /tmp/gpu && W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
    OUT=$R/sanitize timeout 200 bash ./sanitize-gpu.sh /tmp/gpu > "$R/sanitize.log" 2>&1; echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s" )
cat "$R/sanitize/sanitize-summary.md" 2>/dev/null | tail -4
xz -9 "$R/reliability.log"
tar czf "$OUT/head-tests.tar.gz" -C /tmp/res head-tests
echo "== t=$(( $(date +%s) - t0 ))s"
