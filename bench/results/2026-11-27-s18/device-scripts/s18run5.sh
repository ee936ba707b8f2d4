#!/usr/bin/env bash
# Session 18, call 5 (H100): build `deep` (HEAD + config 7 at MT = 16 on one-CTA-per-SM grids with
# three activation ring slots, a kernel of its own; other launches unchanged): (a) memcheck +
# racecheck of sanitize_matrix_small with PDL and the whole GPU suite; (b) a table pass on the two
# 4096-row shapes (the only one-CTA-per-SM grids of the decode set) at M = 9 / 12 / 16, configs 4
# and 7 forced at split 1; (c) issue #4's decode sweeps with the pass's candidate table.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s)
BUNDLE=dist/deep/gpu.tar.xz NAME=tests-deep LIMIT=330 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -22
tar czf "$OUT/tests-deep.tar.gz" -C /tmp/res tests-deep
CARD=h100 BENCH=dist/deep/gpu.tar.xz CONFIGS="4 7" SHAPES=4096x4096,4096x14336 MS=9,12,16 \
  OUT=$OUT bash scripts/device-table-pass.sh 2>&1 | tail -16
CARD=h100 BENCH=dist/deep/gpu.tar.xz TABLE=/tmp/res/table-pass-h100/cand.json NAME=final \
  OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -28
echo "== t=$(( $(date +%s) - t0 ))s"
