#!/usr/bin/env bash
# Session 19, call 5 (H100): build `whole` (HEAD + the mma variant's k loop specialized for splits
# of an even tile count, K % 128 == 0: no per-step second-tile test, selects or zero-fill sizes in
# the weight loads / copies and activation copies) against HEAD (build `head`), both with
# tables/h100.json: all 7 decode shapes, M = 1 / 4 / 8 / 12 / 16, fp16, groups 128/64/32, with and
# without zeros, each side twice, interleaved; then memcheck + racecheck and the GPU suite of
# `whole`.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/whole-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/whole/gpu.tar.xz /tmp/whole-bench) || exit 2
export MS=1,4,8,12,16 DTYPES=fp16
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-head-r$r" "$base" tables/h100.json $(decode_flags $s)
    bench_run "$s-whole-r$r" "$new" tables/h100.json $(decode_flags $s)
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-head" "$s-whole" > "$R/ab-$s.txt"
  echo "whole $s"; python3 scripts/ab-compare.py "$R" "$s-head" "$s-whole" --summary
done
grep -E " (16|8|1) fp16 128 " "$R/ab-S.txt"
tar czf "$OUT/whole-h100.tar.gz" -C /tmp/res whole-h100
echo "== t=$(( $(date +%s) - t0 ))s"
BUNDLE=dist/whole/gpu.tar.xz NAME=tests-whole LIMIT=300 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -22
tar czf "$OUT/tests-whole.tar.gz" -C /tmp/res tests-whole
echo "== t=$(( $(date +%s) - t0 ))s"
