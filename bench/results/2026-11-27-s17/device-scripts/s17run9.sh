#!/usr/bin/env bash
# Session 17, call 9 (H100): probe w8l: HEAD's kernels (168-register budget), warps per CTA at
# MT = 16 on one-CTA-per-SM grids chosen at launch (W4A16_PROBE_WARPS16: 12 = HEAD, 8, 6, 4),
# on the two 4096-row shapes at M = 9, 12, 16, each variant twice, interleaved.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); R=/tmp/res/w8l-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/w8l/gpu.tar.xz /tmp/w8l-bench) || exit 2
export SHAPES=4096x4096,4096x14336 MS=9,12,16
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-base-r$r" "$bin" tables/h100.json $(decode_flags $s)
    for w in 8 6 4; do
      W4A16_PROBE_WARPS16=$w bench_run "$s-w$w-r$r" "$bin" tables/h100.json $(decode_flags $s)
    done
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-base" "$s-w8" "$s-w6" "$s-w4" > "$R/ab-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-base" "$s-w8" "$s-w6" "$s-w4" --summary
done
tar czf "$OUT/w8l-h100.tar.gz" -C /tmp/res w8l-h100
echo "== t=$(( $(date +%s) - t0 ))s"
