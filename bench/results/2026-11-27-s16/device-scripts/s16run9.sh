#!/usr/bin/env bash
# Session 16 call 9 (H100): "w16s" (config 7 at MT <= 8 on grids of at most one CTA per SM runs
# 16 warps per CTA instead of 12: launch bounds 512, its kernels need 74-107 registers; the K sweep
# read small K as a chain of DRAM round trips per warp, 2.7 steps per warp at 4096²) against HEAD
# (fff3c83's kernels). 1. memcheck + racecheck of sanitize_matrix_small (PDL on), memcheck of
# gpu_gemv_configs_small_shapes, with w16s's bundle; 2. A/B with config 7 forced at split 1
# (W4A16_GEMV_CONFIG=7:1) on the one-wave shapes (N = 4096) at M = 1-8, interleaved twice.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
R=/tmp/res/w16s-tests; mkdir -p "$R"
bash scripts/unpack-bundle.sh dist/w16s/gpu.tar.xz || exit 2
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" \
  SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT=$R/sanitize timeout 150 bash /tmp/gpu/sanitize-gpu.sh /tmp/gpu > $R/sanitize.log 2>&1
echo "== sanitize rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "^\| " $R/sanitize.log
tar czf "$OUT/w16s-tests.tar.gz" -C /tmp/res w16s-tests
W4A16_GEMV_CONFIG=7:1 CARD=h100 BENCHES="base=dist/v216head/gpu.tar.xz w16s=dist/w16s/gpu.tar.xz" \
  SHAPES=4096x4096,4096x14336 MS=1,2,3,4,5,6,8 NAME=w16s-forced7 OUT=$OUT timeout 300 bash scripts/device-ab.sh | tail -30
grep -E "^ *4096x(4096|14336) +(1|2|4|8) fp16 +128 " /tmp/res/w16s-forced7-h100/ab-S.txt
echo "== t=$(( $(date +%s) - t0 ))s"
