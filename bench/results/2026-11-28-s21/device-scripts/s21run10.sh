#!/usr/bin/env bash
# Session 21, call 10 (H100): config 4 forced at M = 9-16 on the 28672-row shapes (896 CTAs, 2 per
# SM: 3 full waves + 104, so h4 runs the rest as a second launch of 12-warp CTAs), as the H200
# table runs config 4 on 28672x8192 at M = 9-16 (7 buckets) and no H200 was lent: h4 against
# head, fp16 + bf16, groups 128/64/32, scale-only and zeros, twice interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/c4-28672-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/h4/gpu.tar.xz /tmp/h4-bench) || exit 2
export SHAPES=28672x8192,28672x4096 MS=9,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64,32
for r in 1 2; do for set in S Z; do
  W4A16_GEMV_CONFIG=4:1 bench_run "$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
  W4A16_GEMV_CONFIG=4:1 bench_run "$set-new-r$r" "$new" tables/h100.json $(decode_flags $set)
done; done
for set in S Z; do
  python3 scripts/ab-compare.py "$R" $set-head $set-new > "$R/ab-$set.txt"
  echo "== $set: new / head"; python3 scripts/ab-compare.py "$R" $set-head $set-new --summary | tee "$R/summary-$set.txt"
done
grep -E "28672x8192" "$R/ab-Z.txt" | head -20
tar czf "$OUT/c4-28672-h100.tar.gz" -C /tmp/res c4-28672-h100
echo "== t=$(( $(date +%s) - t0 ))s"
