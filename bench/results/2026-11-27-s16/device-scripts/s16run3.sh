#!/usr/bin/env bash
# Session 16 call 3 (H100): the decode sweeps of #4 with cuBLAS beside (scripts/device-sweep.sh),
# branch smemw-config7's bundle with the H100 table from call 1's pass (config 7 in 102 buckets).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
CARD=h100 NAME=cfg7 OUT=$OUT timeout 420 bash scripts/device-sweep.sh | tail -60
