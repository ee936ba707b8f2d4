#!/usr/bin/env bash
# Session 17, call 6 (H200): table pass for M = 4..8 with the nat4 bundle (configs 4-7 forced),
# the candidate's edits in buckets below M = 4 reverted, then the decode sweep with that candidate.
set -u
CARD=h200 BENCH=dist/nat4/gpu.tar.xz CONFIGS="4 5 6 7" MS=4,5,6,7,8 OUT=$OUT \
  bash scripts/device-table-pass.sh 2>&1 | tail -14
python3 scripts/drop-unmeasured-buckets.py tables/h200.json /tmp/res/table-pass-h200/cand.json 4 \
  $OUT/h200-cand-m4.json
CARD=h200 BENCH=dist/nat4/gpu.tar.xz TABLE=$OUT/h200-cand-m4.json NAME=final OUT=$OUT \
  bash scripts/device-sweep.sh 2>&1 | tail -28
