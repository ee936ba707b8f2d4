#!/usr/bin/env bash
# Session 19, call 4 (H100): build `chain` (HEAD + config 7 splits each mma accumulator chain in two:
# sub-blocks j even / odd into separate accumulators, summed at the group flush or, with zeros and
# group 32 at MT = 16, at the end) against HEAD (build `head`): config 7 forced at split 1, all 7
# decode shapes, M = 1 / 4 / 8 / 12 / 16, fp16, groups 128/64/32, with and without zeros, each side
# twice, interleaved, HEAD's table picks beside; then memcheck + racecheck and the GPU suite of
# `chain`.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/chain-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/chain/gpu.tar.xz /tmp/chain-bench) || exit 2
export MS=1,4,8,12,16 DTYPES=fp16
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-table-r$r" "$base" tables/h100.json $(decode_flags $s)
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-c7-r$r" "$base" tables/h100.json $(decode_flags $s)
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-chain-r$r" "$new" tables/h100.json $(decode_flags $s)
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-c7" "$s-chain" > "$R/ab-$s.txt"
  echo "chain $s"; python3 scripts/ab-compare.py "$R" "$s-c7" "$s-chain" --summary
  python3 scripts/ab-compare.py "$R" "$s-table" "$s-c7" "$s-chain" > "$R/ab-table-$s.txt"
done
grep -E "fp16 128 " "$R/ab-table-S.txt"
tar czf "$OUT/chain-h100.tar.gz" -C /tmp/res chain-h100
echo "== t=$(( $(date +%s) - t0 ))s"
BUNDLE=dist/chain/gpu.tar.xz NAME=tests-chain LIMIT=330 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -22
tar czf "$OUT/tests-chain.tar.gz" -C /tmp/res tests-chain
echo "== t=$(( $(date +%s) - t0 ))s"
