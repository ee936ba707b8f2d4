#!/usr/bin/env bash
# Session 17, call 8 (H100): probe w8r: the mma variant at MT = 16 on one-CTA-per-SM grids with
# 8 warps (launch bounds 256 x 1: up to 255 registers; ptxas took 101-159) instead of 12, against
# HEAD's kernels (nat4), on the two 4096-row shapes at M = 12 and 16.
set -u
CARD=h100 BENCHES="base=dist/nat4/gpu.tar.xz w8r=dist/w8r/gpu.tar.xz" SETS="S Z" ROUNDS=2 \
  SHAPES=4096x4096,4096x14336 MS=12,16 NAME=w8r OUT=$OUT bash scripts/device-ab.sh 2>&1 | tail -8
