#!/usr/bin/env bash
# Session 18, call 7 (H100): build deep4 = HEAD (deep, activations two steps ahead) with the deep
# kernel's weights and scales three steps ahead (4-slot shared rings) instead of two: (a) config 7
# forced at split 1 on 4096² and 4096 x 14336, M = 9 / 12 / 16, fp16 + bf16, groups 128/64/32, with
# and without zeros, against HEAD's bundle (deep), each twice, interleaved; (b) memcheck + racecheck
# and the GPU suite of deep4; (c) a table pass of deep4 on those shapes (configs 4 and 7) and the
# decode sweeps with its candidate table.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/deep4-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/deep/gpu.tar.xz /tmp/deep-bench) || exit 2
new=$(unpack_bench dist/deep4/gpu.tar.xz /tmp/deep4-bench) || exit 2
export SHAPES=4096x4096,4096x14336 MS=9,12,16
for r in 1 2; do
  for s in S Z; do
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-deep-r$r" "$base" tables/h100.json $(decode_flags $s)
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-deep4-r$r" "$new" tables/h100.json $(decode_flags $s)
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-deep" "$s-deep4" > "$R/ab-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-deep" "$s-deep4" --summary
done
grep -E "fp16 128" "$R"/ab-*.txt
tar czf "$OUT/deep4-h100.tar.gz" -C /tmp/res deep4-h100
unset SHAPES MS
BUNDLE=dist/deep4/gpu.tar.xz NAME=tests-deep4 LIMIT=320 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -16
tar czf "$OUT/tests-deep4.tar.gz" -C /tmp/res tests-deep4
CARD=h100 BENCH=dist/deep4/gpu.tar.xz CONFIGS="4 7" SHAPES=4096x4096,4096x14336 MS=9,12,16 \
  OUT=$OUT bash scripts/device-table-pass.sh 2>&1 | tail -12
CARD=h100 BENCH=dist/deep4/gpu.tar.xz TABLE=/tmp/res/table-pass-h100/cand.json NAME=final \
  OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -26
echo "== t=$(( $(date +%s) - t0 ))s"
