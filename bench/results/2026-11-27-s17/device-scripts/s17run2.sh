#!/usr/bin/env bash
# Session 17, call 2: natural activation rows (16-B copies + ldmatrix) for the mma variant at
# MT = 8, against HEAD; M = 5-7 (unchanged kernels) as controls. Then the nat8 bundle's tests.
set -u
CARD=h100 BENCHES="base=dist/v216head/gpu.tar.xz nat8=dist/nat8/gpu.tar.xz" SETS="S Z" ROUNDS=2 \
  MS=6,8 NAME=nat8 OUT=$OUT bash scripts/device-ab.sh 2>&1 | tail -12
BUNDLE=dist/nat8/gpu.tar.xz NAME=nat8-tests LIMIT=400 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -15
