#!/usr/bin/env bash
# Session 22, call 4 (H100): probe build `pw` (HEAD + W4A16_PROBE_WIDE16=W: the warps of the
# one-CTA-per-SM MT = 16 launches, 8 by default; the deep kernel's shared-memory attribute raised
# for 10 warps): W = 8 (unset), 7, 9, 10 on 4096x4096 and 4096x14336 (the table's config 7 / 4 at
# M = 9-16), M = 9/12/16, fp16 + bf16, groups 128/64/32, scale-only and zeros, twice interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/wide16-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
b=$(unpack_bench dist/pw/gpu.tar.xz /tmp/pw-bench) || exit 2
export SHAPES=4096x4096,4096x14336 MS=9,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64,32
for r in 1 2; do for set in S Z; do
  bench_run "$set-w8-r$r" "$b" tables/h100.json $(decode_flags $set)
  for w in 7 9 10; do
    W4A16_PROBE_WIDE16=$w bench_run "$set-w$w-r$r" "$b" tables/h100.json $(decode_flags $set)
  done
done; done
for set in S Z; do
  python3 scripts/ab-compare.py "$R" $set-w8 $set-w7 $set-w9 $set-w10 > "$R/ab-$set.txt"
  python3 scripts/ab-compare.py "$R" $set-w8 $set-w7 $set-w9 $set-w10 --summary > "$R/summary-$set.txt"
  echo "== $set (variant / w8, >1 = faster)"; cat "$R/summary-$set.txt"
done
grep -E " 16 fp16 128" "$R/ab-S.txt"
tar cJf "$OUT/wide16-h100.tar.xz" -C /tmp/res wide16-h100
echo "== t=$(( $(date +%s) - t0 ))s"
