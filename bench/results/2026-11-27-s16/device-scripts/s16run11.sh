#!/usr/bin/env bash
# Session 16 call 11 (H100): "cores" (config 7's MT = 1 kernels with launch bounds (384, 2): at <= 80
# registers and ~92-101 KB of rings a second CTA fits beside one of the one-wave grid, so under PDL
# the next GEMV's CTA can start its weight prefetch before this one exits; tests the hypothesis
# that the N = 4096 fixed cost is the missing prologue overlap) against HEAD's kernels.
# 1. memcheck of sanitize_matrix_small (PDL on) and of gpu_gemv_configs_small_shapes with cores;
# 2. A/B at M = 1: config 7 forced at split 1, and the shipped table, every decode shape, twice.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
R=/tmp/res/cores-tests; mkdir -p "$R"
bash scripts/unpack-bundle.sh dist/cores/gpu.tar.xz || exit 2
W4A16_PDL=1 SANITIZE_TOOLS="memcheck" \
  SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT=$R/sanitize timeout 120 bash /tmp/gpu/sanitize-gpu.sh /tmp/gpu > $R/sanitize.log 2>&1
echo "== sanitize rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "^\| " $R/sanitize.log
tar czf "$OUT/cores-tests.tar.gz" -C /tmp/res cores-tests
W4A16_GEMV_CONFIG=7:1 CARD=h100 BENCHES="base=dist/v216head/gpu.tar.xz cores=dist/cores/gpu.tar.xz" \
  MS=1 NAME=cores-forced7 OUT=$OUT timeout 200 bash scripts/device-ab.sh | tail -8
grep -hE "^ *[0-9x]+ +1 fp16 +128z? " /tmp/res/cores-forced7-h100/ab-S.txt /tmp/res/cores-forced7-h100/ab-Z.txt
CARD=h100 BENCHES="base=dist/v216head/gpu.tar.xz cores=dist/cores/gpu.tar.xz" \
  MS=1 NAME=cores-table OUT=$OUT timeout 200 bash scripts/device-ab.sh | tail -8
echo "== t=$(( $(date +%s) - t0 ))s"
