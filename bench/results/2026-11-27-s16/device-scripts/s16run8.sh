#!/usr/bin/env bash
# Session 16 call 8 (H100): "unroll1" (config 7's k loop one step per iteration with run-time ring
# slots instead of three unrolled steps: a third of the hot code; ncu flagged 41% of config 7's
# cycles between issues at 4096² M = 16 as instruction-fetch waits, caches flushed) against HEAD
# (fff3c83's kernels). 1. memcheck + racecheck of sanitize_matrix_small (PDL on) and memcheck of
# gpu_gemv_configs_small_shapes with unroll1's bundle; 2. A/B with config 7 forced at split 1 on
# every decode point (W4A16_GEMV_CONFIG=7:1), scale-only and zeros, interleaved twice.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
R=/tmp/res/unroll1-tests; mkdir -p "$R"
bash scripts/unpack-bundle.sh dist/unroll1/gpu.tar.xz || exit 2
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" \
  SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT=$R/sanitize timeout 150 bash /tmp/gpu/sanitize-gpu.sh /tmp/gpu > $R/sanitize.log 2>&1
echo "== sanitize rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "^\| " $R/sanitize.log
tar czf "$OUT/unroll1-tests.tar.gz" -C /tmp/res unroll1-tests
W4A16_GEMV_CONFIG=7:1 CARD=h100 BENCHES="base=dist/v216head/gpu.tar.xz unroll1=dist/unroll1/gpu.tar.xz" \
  NAME=unroll1-forced7 OUT=$OUT timeout 330 bash scripts/device-ab.sh | tail -30
echo "== t=$(( $(date +%s) - t0 ))s"
