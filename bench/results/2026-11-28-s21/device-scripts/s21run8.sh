#!/usr/bin/env bash
# Session 21, call 8 (H200): build `h4` against HEAD with tables/h200.json: (a) the 7 decode
# shapes (table picks; the last-wave balance can split where the H200 table runs configs 4-6 on
# multi-wave grids), M = 1/4/8/12/16, fp16 + bf16, groups 128/64, scale-only and zeros, twice
# interleaved; (b) the 12 held-out untuned shapes (heuristic), fp16, groups 128/32, M = 1-16,
# scale-only and zeros, once each.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/h200; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h200
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/h4/gpu.tar.xz /tmp/h4-bench) || exit 2
(
  export MS=1,4,8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64
  for r in 1 2; do for set in S Z; do
    bench_run "T$set-head-r$r" "$base" tables/h200.json $(decode_flags $set)
    bench_run "T$set-new-r$r" "$new" tables/h200.json $(decode_flags $set)
  done; done
)
(
  export SHAPES=2048x4096,3072x8192,4096x11008,5120x5120,7168x8192,8192x3584,13696x5120,16384x4096,20480x5120,27648x5120,5120x27648,40960x4096
  export MS=1,2,3,4,8,12,16 DTYPES=fp16 GROUP_SIZES=128,32
  for set in S Z; do
    bench_run "H$set-head-r1" "$base" tables/h200.json $(decode_flags $set)
    bench_run "H$set-new-r1" "$new" tables/h200.json $(decode_flags $set)
  done
)
for x in TS TZ HS HZ; do
  python3 scripts/ab-compare.py "$R" $x-head $x-new > "$R/ab-$x.txt"
  echo "== $x: new / head"; python3 scripts/ab-compare.py "$R" $x-head $x-new --summary | tee "$R/summary-$x.txt"
done
tar czf "$OUT/h200.tar.gz" -C /tmp/res h200
echo "== t=$(( $(date +%s) - t0 ))s"
