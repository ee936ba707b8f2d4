#!/usr/bin/env bash
# Session 17, call 1: does halving the activation copies (timing-only probe, wrong results) speed
# up M = 8 / 16? base = HEAD (v216head), probe = fast-path activation copies of half the rows.
set -u
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
CARD=h100 BENCHES="base=dist/v216head/gpu.tar.xz half=dist/probehalf/gpu.tar.xz" SETS=S ROUNDS=2 \
  SHAPES=4096x4096,4096x14336,28672x4096,8192x8192 MS=1,8,16 DTYPES=fp16 GROUP_SIZES=128 \
  NAME=probehalf OUT=$OUT bash scripts/device-ab.sh 2>&1 | tail -40
