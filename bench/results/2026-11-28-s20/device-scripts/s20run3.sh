#!/usr/bin/env bash
# Session 20, call 3 (H100; call 1, the same script with the suite appended, stopped at a truncated
# head bundle; call 2 ran osum's tests alone, see s20run2-tests.sh): build `osum` (HEAD + offset sums: the mma variant multiplies the biased
# weights base + q and removes the offset with one more mma per sub-block and token tile, instead of
# an HSUB2 per pair) against HEAD (`head`), both with tables/h100.json, all 7 decode shapes,
# M = 1 / 4 / 8 / 12 / 16, fp16 + bf16, groups 128 / 64 / 32, no zeros (zeros take the scaled-weight
# route, unchanged), each side twice interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/osum-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/osum/gpu.tar.xz /tmp/osum-bench) || exit 2
export MS=1,4,8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64,32
for r in 1 2; do
  bench_run "S-head-r$r" "$base" tables/h100.json $(decode_flags S)
  bench_run "S-osum-r$r" "$new" tables/h100.json $(decode_flags S)
done
python3 scripts/ab-compare.py "$R" S-head S-osum > "$R/ab-S.txt"
echo "osum / head"; python3 scripts/ab-compare.py "$R" S-head S-osum --summary
grep -E "fp16 128 " "$R/ab-S.txt"
tar czf "$OUT/osum-h100.tar.gz" -C /tmp/res osum-h100
echo "== t=$(( $(date +%s) - t0 ))s"
