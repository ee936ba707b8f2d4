#!/usr/bin/env bash
# Session 16 call 6 (H100), HEAD's bundle (fff3c83: config 7, both new tables, bf16 4096² g128
# M 5-8 on config 7): 1. scripts/device-tests.sh (its first device run: memcheck + racecheck of
# sanitize_matrix_small with PDL, then the whole GPU suite); 2. the decode sweeps of #4 with the
# shipped H100 table (scripts/device-sweep.sh), cuBLAS beside.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
NAME=final-tests OUT=$OUT LIMIT=400 bash scripts/device-tests.sh
echo "== device-tests rc=$? t=$(( $(date +%s) - t0 ))s"
CARD=h100 NAME=final OUT=$OUT timeout 150 bash scripts/device-sweep.sh | tail -32
echo "== t=$(( $(date +%s) - t0 ))s"
