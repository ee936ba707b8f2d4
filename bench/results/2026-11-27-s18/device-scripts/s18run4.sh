#!/usr/bin/env bash
# Session 18, call 4 (H100): config 7 at MT = 16 with its activations two steps ahead (three ring
# slots, build act3) against HEAD's two slots (build r8): (a) config 7 forced at split 1 on the
# four shapes of <= 8192 output channels, M = 9 / 12 / 16, fp16 + bf16, groups 128/64/32, with and
# without zeros, each side twice, interleaved, beside r8 with its table's picks; (b) memcheck +
# racecheck of sanitize_matrix_small with PDL and the whole GPU suite of act3.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/act3-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/r8/gpu.tar.xz /tmp/r8-bench) || exit 2
new=$(unpack_bench dist/act3/gpu.tar.xz /tmp/act3-bench) || exit 2
export SHAPES=4096x4096,6144x4096,4096x14336,8192x8192 MS=9,12,16
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-table-r$r" "$base" tables/h100.json $(decode_flags $s)
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-c7-r$r" "$base" tables/h100.json $(decode_flags $s)
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-act3-r$r" "$new" tables/h100.json $(decode_flags $s)
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-c7" "$s-act3" > "$R/ab-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-c7" "$s-act3" --summary
  python3 scripts/ab-compare.py "$R" "$s-table" "$s-c7" "$s-act3" > "$R/ab-table-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-table" "$s-c7" "$s-act3" --summary
done
grep -E "fp16 128 " "$R/ab-table-S.txt"
tar czf "$OUT/act3-h100.tar.gz" -C /tmp/res act3-h100
echo "== t=$(( $(date +%s) - t0 ))s"
BUNDLE=dist/act3/gpu.tar.xz NAME=tests-act3 LIMIT=330 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -22
tar czf "$OUT/tests-act3.tar.gz" -C /tmp/res tests-act3
echo "== t=$(( $(date +%s) - t0 ))s"
