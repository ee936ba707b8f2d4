#!/usr/bin/env bash
# Session 17, call 4: H100 table pass for M = 4..8 with natural rows at MT >= 4 (nat4 bundle),
# configs 4, 5, 6, 7 forced.
set -u
CARD=h100 BENCH=dist/nat4/gpu.tar.xz CONFIGS="4 5 6 7" MS=4,5,6,7,8 OUT=$OUT \
  bash scripts/device-table-pass.sh 2>&1 | tail -30
