#!/usr/bin/env bash
# Session 17, call 5: H100 decode sweep with the nat4 bundle and the new table, then its tests.
set -u
CARD=h100 BENCH=dist/nat4/gpu.tar.xz TABLE=tables/h100.json NAME=final OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -40
BUNDLE=dist/nat4/gpu.tar.xz NAME=nat4-tests LIMIT=420 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -16
