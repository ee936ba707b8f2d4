#!/usr/bin/env bash
# Session 21, call 6 (H100): group 32 on untuned shapes (the heuristic keeps its old rule there):
# bal3 with the heuristic's pick and every mma-grid configuration (4-7) and config 2 forced, fp16
# g32, 8 shapes, M = 1/2/3/4/8/12/16, scale-only and zeros, once each.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/g32-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
new=$(unpack_bench dist/bal3/gpu.tar.xz /tmp/bal3-bench) || exit 2
export SHAPES=1024x4096,3584x18944,5120x13824,10240x8192,12288x4096,14336x4096,22528x4096,57344x8192
export MS=1,2,3,4,8,12,16 DTYPES=fp16 GROUP_SIZES=32
for set in S Z; do
  bench_run "$set-heur-r1" "$new" tables/h100.json $(decode_flags $set)
  for cfg in 0:0 2:0 4:1 5:1 6:1 7:1; do
    W4A16_GEMV_CONFIG=$cfg bench_run "$set-c${cfg%%:*}-r1" "$new" tables/h100.json $(decode_flags $set)
  done
done
tar czf "$OUT/g32-h100.tar.gz" -C /tmp/res g32-h100
echo "== t=$(( $(date +%s) - t0 ))s"
