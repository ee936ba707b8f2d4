#!/usr/bin/env bash
# Session 17, call 3: natural activation rows at MT = 2..7 too (nat2) against MT = 8 only (nat8),
# M = 2, 3, 4, 6, 7; then nat2's tests.
set -u
CARD=h100 BENCHES="nat8=dist/nat8/gpu.tar.xz nat2=dist/nat2/gpu.tar.xz" SETS="S Z" ROUNDS=2 \
  MS=2,3,4,6,7 NAME=nat2 OUT=$OUT bash scripts/device-ab.sh 2>&1 | tail -16
BUNDLE=dist/nat2/gpu.tar.xz NAME=nat2-tests LIMIT=380 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -15
