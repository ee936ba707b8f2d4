#!/usr/bin/env bash
# Session 22, call 6 (H100): build `final22` (HEAD 6f1a701): (1) the #4 state sweep with cuBLAS
# fp16 beside (scripts/device-sweep.sh, tables/h100.json); (2) compute-sanitizer memcheck and
# racecheck of sanitize_matrix_small with PDL on (da237d8's launcher refactor; the suite passed
# on an H200 in call 5), then the whole GPU suite with what is left of 340 s.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s)
CARD=h100 BENCH=dist/final22/gpu.tar.xz NAME=final OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -30
BUNDLE=dist/final22/gpu.tar.xz NAME=sanitize-final22 LIMIT=340 OUT=$OUT \
  bash scripts/device-tests.sh 2>&1 | tail -24
echo "== t=$(( $(date +%s) - t0 ))s"
