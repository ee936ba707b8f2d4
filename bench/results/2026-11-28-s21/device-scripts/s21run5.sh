#!/usr/bin/env bash
# Session 21, call 5 (H100): build `bal3`'s GPU tests: memcheck + racecheck of
# sanitize_matrix_small (PDL on) and of the new last-wave test, then the whole GPU suite.
set -u
OUT=${OUT:-/tmp/out}
BUNDLE=dist/bal3/gpu.tar.xz NAME=tests-bal3 LIMIT=560 OUT=$OUT \
  SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small test-gpu:gpu_gemv_balanced_last_wave:memcheck" \
  bash scripts/device-tests.sh 2>&1 | tail -30
