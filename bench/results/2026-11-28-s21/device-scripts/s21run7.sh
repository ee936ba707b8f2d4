#!/usr/bin/env bash
# Session 21, call 7 (H100): build `h4` (the kept state: the heuristic's rule for every group size,
# the last-wave balance) against HEAD on the 12 held-out untuned shapes with group 32 (groups >= 64
# ran the same rule in call 4), fp16, M = 1/2/3/4/8/12/16, scale-only and zeros, twice interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/g32-heldout-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/h4/gpu.tar.xz /tmp/h4-bench) || exit 2
export SHAPES=2048x4096,3072x8192,4096x11008,5120x5120,7168x8192,8192x3584,13696x5120,16384x4096,20480x5120,27648x5120,5120x27648,40960x4096
export MS=1,2,3,4,8,12,16 DTYPES=fp16 GROUP_SIZES=32
for r in 1 2; do for set in S Z; do
  bench_run "$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
  bench_run "$set-new-r$r" "$new" tables/h100.json $(decode_flags $set)
done; done
for set in S Z; do
  python3 scripts/ab-compare.py "$R" $set-head $set-new > "$R/ab-$set.txt"
  echo "== $set: new / head"; python3 scripts/ab-compare.py "$R" $set-head $set-new --summary | tee "$R/summary-$set.txt"
done
tar czf "$OUT/g32-heldout-h100.tar.gz" -C /tmp/res g32-heldout-h100
echo "== t=$(( $(date +%s) - t0 ))s"
