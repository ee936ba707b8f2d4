#!/usr/bin/env bash
# Session 21, call 2 (H100): build `bal` (HEAD + the last partial wave of configs 4-6 as a second
# launch of wider CTAs) against HEAD, both with tables/h100.json: (a) the 7 decode shapes, M = 1 /
# 4 / 8 / 12 / 16, fp16 + bf16, groups 128 / 64, scale-only and zeros, each side twice interleaved;
# (b) the wave-probe shapes (N x 4096, N = 14080 ... 33792) with config 5 forced, M = 8 / 16;
# (c) the new GPU test (f64 CPU reference) plain and under memcheck, and the largest-shape test.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/bal-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/bal/gpu.tar.xz /tmp/bal-bench) || exit 2
(
  export MS=1,4,8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64
  for r in 1 2; do
    for set in S Z; do
      bench_run "$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
      bench_run "$set-bal-r$r" "$new" tables/h100.json $(decode_flags $set)
    done
  done
)
(
  export SHAPES=14080x4096,16896x4096,22528x4096,28672x4096,31680x4096,33792x4096
  export MS=8,16 DTYPES=fp16 GROUP_SIZES=128
  for r in 1 2; do
    W4A16_GEMV_CONFIG=5:1 bench_run "W-head-r$r" "$base" tables/h100.json $(decode_flags S)
    W4A16_GEMV_CONFIG=5:1 bench_run "W-bal-r$r" "$new" tables/h100.json $(decode_flags S)
  done
)
for set in S Z W; do
  python3 scripts/ab-compare.py "$R" $set-head $set-bal > "$R/ab-$set.txt"
  echo "== $set: bal / head"; python3 scripts/ab-compare.py "$R" $set-head $set-bal --summary | tee "$R/summary-$set.txt"
done
grep -E "28672x" "$R/ab-S.txt" | grep -E " (16|12|8) +fp16" | head -24
cat "$R/ab-W.txt" | head -30
tar czf "$OUT/bal-h100.tar.gz" -C /tmp/res bal-h100
echo "== t=$(( $(date +%s) - t0 ))s"
T=/tmp/res/tests-bal; mkdir -p "$T"; mkdir -p /tmp/bal-tests; tar xJf dist/bal/gpu.tar.xz -C /tmp/bal-tests
cd /tmp/bal-tests/gpu && export LD_LIBRARY_PATH=$PWD
timeout 120 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_balanced_last_wave > "$T/balanced.log" 2>&1; echo "balanced rc=$?"; tail -4 "$T/balanced.log"
timeout 200 compute-sanitizer --tool memcheck --error-exitcode 9 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_balanced_last_wave > "$T/balanced-memcheck.log" 2>&1; echo "memcheck rc=$?"; tail -4 "$T/balanced-memcheck.log"
left=$(( 560 - ($(date +%s) - t0) ))
[ $left -gt 60 ] && { timeout $left ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_largest_shapes > "$T/largest.log" 2>&1; echo "largest rc=$?"; tail -4 "$T/largest.log"; }
cd "$REPO"; tar czf "$OUT/tests-bal.tar.gz" -C /tmp/res tests-bal
echo "== t=$(( $(date +%s) - t0 ))s"
