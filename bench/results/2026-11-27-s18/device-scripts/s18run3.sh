#!/usr/bin/env bash
# Session 18, call 3 (H100): the 8-warp rule (HEAD, build r8) changes configs 4 and 7 at MT = 16 on
# one-CTA-per-SM grids only, i.e. the two 4096-row shapes at M = 9-16: a table pass there
# (configs 4 and 7 forced at split 1 against tables/h100.json, M = 9 / 12 / 16), then the decode
# sweeps of issue #4 with the pass's candidate table.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s)
CARD=h100 BENCH=dist/r8/gpu.tar.xz CONFIGS="4 7" SHAPES=4096x4096,4096x14336 MS=9,12,16 \
  OUT=$OUT bash scripts/device-table-pass.sh 2>&1 | tail -30
CARD=h100 BENCH=dist/r8/gpu.tar.xz TABLE=/tmp/res/table-pass-h100/cand.json NAME=final \
  OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -40
echo "== t=$(( $(date +%s) - t0 ))s"
