#!/usr/bin/env bash
# Session 18, call 1 (H100): (a) the GPU tests of branch mt16-8warps (8 warps at MT = 16 on
# one-CTA-per-SM grids whose CTAs have <= 32 steps): memcheck + racecheck of sanitize_matrix_small
# with PDL, then the whole GPU suite; (b) where the 8-warp CTA stops winning: N = 4096,
# K = 6144 / 8192 / 10240 (48 / 64 / 80 steps), M = 12 and 16, configs 4 and 7 forced at split 1,
# the w8l probe build (W4A16_PROBE_WARPS16 = warps at MT = 16, 12 = HEAD), each side twice,
# interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
BUNDLE=dist/mt16-8warps/gpu.tar.xz NAME=tests-mt16-8warps LIMIT=400 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -25
tar czf "$OUT/tests-mt16-8warps.tar.gz" -C /tmp/res tests-mt16-8warps
R=/tmp/res/kcross-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/w8l/gpu.tar.xz /tmp/w8l-bench) || exit 2
export SHAPES=4096x6144,4096x8192,4096x10240 MS=12,16 DTYPES=fp16
for r in 1 2; do
  for cfg in 4 7; do
    W4A16_GEMV_CONFIG=$cfg:1 bench_run "c$cfg-w12-r$r" "$bin" tables/h100.json $(decode_flags S)
    W4A16_GEMV_CONFIG=$cfg:1 W4A16_PROBE_WARPS16=8 bench_run "c$cfg-w8-r$r" "$bin" tables/h100.json $(decode_flags S)
  done
done
for cfg in 4 7; do
  python3 scripts/ab-compare.py "$R" "c$cfg-w12" "c$cfg-w8" > "$R/ab-c$cfg.txt"
  python3 scripts/ab-compare.py "$R" "c$cfg-w12" "c$cfg-w8" --summary
  cat "$R/ab-c$cfg.txt"
done
tar czf "$OUT/kcross-h100.tar.gz" -C /tmp/res kcross-h100
echo "== t=$(( $(date +%s) - t0 ))s"
