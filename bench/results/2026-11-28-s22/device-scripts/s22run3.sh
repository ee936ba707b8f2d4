#!/usr/bin/env bash
# Session 22, call 3 (H100): build `one7` (HEAD + config 7's k loop one step per iteration
# instead of the 3-step unroll) against HEAD's kernels (`h4`), both with tables/h100.json:
# (a) the 7 decode shapes, M = 1/2/4/8/12/16, fp16 + bf16, groups 128/64/32, scale-only and
#     zeros, each side twice interleaved (the table picks config 7 in 128 buckets);
# (b) 4 held-out shapes where the heuristic picks config 7 (M <= 8), fp16, groups 128/32,
#     scale-only and zeros, twice interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/one7-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/h4/gpu.tar.xz /tmp/h4-bench) || exit 2
new=$(unpack_bench dist/one7/gpu.tar.xz /tmp/one7-bench) || exit 2
(
  export MS=1,2,4,8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64,32
  for r in 1 2; do for set in S Z; do
    bench_run "T$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
    bench_run "T$set-new-r$r" "$new" tables/h100.json $(decode_flags $set)
  done; done
)
(
  export SHAPES=2048x4096,3072x8192,4096x11008,5120x5120 MS=1,2,4,8 DTYPES=fp16 GROUP_SIZES=128,32
  for r in 1 2; do for set in S Z; do
    bench_run "H$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
    bench_run "H$set-new-r$r" "$new" tables/h100.json $(decode_flags $set)
  done; done
)
for x in TS TZ HS HZ; do
  python3 scripts/ab-compare.py "$R" $x-head $x-new > "$R/ab-$x.txt"
  python3 scripts/ab-compare.py "$R" $x-head $x-new --summary > "$R/summary-$x.txt"
  echo "== $x (new / head, >1 = faster)"; cat "$R/summary-$x.txt"
done
echo "== fp16 g128 scale-only, M = 16 and 1"
grep -E " (16|1) fp16 128 " "$R/ab-TS.txt"
tar cJf "$OUT/one7-h100.tar.xz" -C /tmp/res one7-h100
echo "== t=$(( $(date +%s) - t0 ))s"
