#!/usr/bin/env bash
# Session 18, call 6 (H200): (a) the 8-warp rule on the H200: the w8l probe build (warps at
# MT = 16 on one-CTA-per-SM grids from W4A16_PROBE_WARPS16; 12 = the old rule), configs 4 and 7
# forced at split 1, 4096² and 4096 x 14336, M = 9 / 12 / 16, fp16 + bf16, groups 128/64/32,
# scale-only, 12 vs 8 warps, each twice, interleaved; (b) a table pass of build `deep` on those two
# shapes at M = 9 / 12 / 16, configs 4 and 7; (c) the decode sweeps with its candidate table.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/w8-h200; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h200
bin=$(unpack_bench dist/w8l/gpu.tar.xz /tmp/w8l-bench) || exit 2
export SHAPES=4096x4096,4096x14336 MS=9,12,16
for r in 1 2; do
  for cfg in 4 7; do
    W4A16_GEMV_CONFIG=$cfg:1 bench_run "c$cfg-w12-r$r" "$bin" tables/h200.json $(decode_flags S)
    W4A16_GEMV_CONFIG=$cfg:1 W4A16_PROBE_WARPS16=8 bench_run "c$cfg-w8-r$r" "$bin" tables/h200.json $(decode_flags S)
  done
done
for cfg in 4 7; do
  python3 scripts/ab-compare.py "$R" "c$cfg-w12" "c$cfg-w8" > "$R/ab-c$cfg.txt"
  python3 scripts/ab-compare.py "$R" "c$cfg-w12" "c$cfg-w8" --summary
done
grep -E "fp16 128" "$R"/ab-c*.txt
tar czf "$OUT/w8-h200.tar.gz" -C /tmp/res w8-h200
unset SHAPES MS
CARD=h200 BENCH=dist/deep/gpu.tar.xz CONFIGS="4 7" SHAPES=4096x4096,4096x14336 MS=9,12,16 \
  OUT=$OUT bash scripts/device-table-pass.sh 2>&1 | tail -16
CARD=h200 BENCH=dist/deep/gpu.tar.xz TABLE=/tmp/res/table-pass-h200/cand.json NAME=final \
  OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -28
echo "== t=$(( $(date +%s) - t0 ))s"
