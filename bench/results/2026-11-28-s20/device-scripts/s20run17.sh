#!/usr/bin/env bash
# Session 20, call 17 (H100): build `rot` (HEAD + each CTA walks its K steps from its own position,
# 7 x row block mod the warps' step count, wrapping: the grid no longer reads the same activations
# at once; the wgmma prototype's L2 hot-spot finding) against HEAD, both with tables/h100.json, all
# 7 decode shapes, M = 1 / 4 / 8 / 12 / 16, fp16 + bf16, groups 128 / 64, each side twice
# interleaved; then memcheck + racecheck and the GPU suite of `rot`.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/rot-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/rot/gpu.tar.xz /tmp/rot-bench) || exit 2
export MS=1,4,8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64
for r in 1 2; do
  bench_run "S-head-r$r" "$base" tables/h100.json $(decode_flags S)
  bench_run "S-rot-r$r" "$new" tables/h100.json $(decode_flags S)
done
python3 scripts/ab-compare.py "$R" S-head S-rot > "$R/ab-S.txt"
echo "rot / head"; python3 scripts/ab-compare.py "$R" S-head S-rot --summary | tee "$R/summary.txt"
grep -E " (16|8) fp16 128 " "$R/ab-S.txt"
tar czf "$OUT/rot-h100.tar.gz" -C /tmp/res rot-h100
echo "== t=$(( $(date +%s) - t0 ))s"
BUNDLE=dist/rot/gpu.tar.xz NAME=tests-rot LIMIT=$(( 400 - ($(date +%s) - t0) )) OUT=$OUT \
  bash scripts/device-tests.sh 2>&1 | tail -20
echo "== t=$(( $(date +%s) - t0 ))s"
