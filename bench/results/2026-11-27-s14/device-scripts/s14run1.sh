#!/usr/bin/env bash
# Session 14 call 1 (H100): config 6 (config 5 held to four CTAs per SM) in a decode table pass
# against the shipped table (scripts/device-table-pass.sh, CONFIGS=6), then memcheck over every
# GEMV configuration at small shapes (the f64-reference test, configs 0-6) with the same bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
CARD=h100 CONFIGS=6 OUT=$OUT timeout 400 bash scripts/device-table-pass.sh
echo "== table pass rc=$? t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh > /dev/null || exit 2
mkdir -p /tmp/res/cfg6-tests
W4A16_PDL=1 SANITIZE_TOOLS="memcheck" SANITIZE_TARGETS="test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT=/tmp/res/cfg6-tests/sanitize timeout 150 bash scripts/sanitize-gpu.sh /tmp/gpu > /tmp/res/cfg6-tests/sanitize.log 2>&1
echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "^\| memcheck" /tmp/res/cfg6-tests/sanitize.log
grep -hE "cfg6|test result|passed|FAILED" /tmp/res/cfg6-tests/sanitize/*.log 2>/dev/null | head -12
tar czf "$OUT/cfg6-tests.tar.gz" -C /tmp/res cfg6-tests
echo "== t=$(( $(date +%s) - t0 ))s"
