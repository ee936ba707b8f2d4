#!/usr/bin/env bash
# Session 16 call 1 (H100): branch smemw-config7's bundle (config 7: config 4 with the weights
# streamed by cp.async into a per-warp shared ring).
# 1. memcheck + racecheck (PDL on) of sanitize_matrix_small (configs 5, 6, 7 at M 1-17, split 1/3);
#    memcheck of gpu_gemv_configs_small_shapes (every config incl. (7,1), (7,3), f64 reference);
# 2. a decode table pass: config 7 forced at split 1 on every decode bucket against the shipped table;
# 3. the whole GPU suite with the time left.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
bash scripts/unpack-bundle.sh || exit 2
mkdir -p /tmp/res/cfg7-tests
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" \
  SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT=/tmp/res/cfg7-tests/sanitize timeout 130 bash scripts/sanitize-gpu.sh /tmp/gpu > /tmp/res/cfg7-tests/sanitize.log 2>&1
echo "== sanitize rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "^\| " /tmp/res/cfg7-tests/sanitize.log
tar czf "$OUT/cfg7-tests.tar.gz" -C /tmp/res cfg7-tests
CARD=h100 CONFIGS=7 BENCH=dist/bundle/gpu.tar.xz OUT=$OUT timeout 320 bash scripts/device-table-pass.sh
echo "== table pass rc=$? t=$(( $(date +%s) - t0 ))s"
left=$(( 585 - ($(date +%s) - t0) ))
mkdir -p /tmp/res/tests
( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout $left bash ./run-gpu-tests.sh > /tmp/res/tests/run-gpu-tests.log 2>&1; echo "== run-gpu-tests rc=$? (limit ${left}s) t=$(( $(date +%s) - t0 ))s" )
tail -14 /tmp/res/tests/run-gpu-tests.log; grep -hE "test result: FAILED|panicked" /tmp/res/tests/run-gpu-tests.log | head
xz -9 /tmp/res/tests/run-gpu-tests.log
tar czf "$OUT/tests.tar.gz" -C /tmp/res tests
echo "== t=$(( $(date +%s) - t0 ))s"
