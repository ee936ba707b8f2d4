#!/usr/bin/env bash
# Session 22, call 5: build `final22` (HEAD 6f1a701 = da237d8's kernels and dispatch).
# On an H200: (1) the #4 state sweep with cuBLAS fp16 beside (scripts/device-sweep.sh,
# tables/h200.json); (2) the session-21 heuristic and last-wave balance against the old build
# (`head`, 8934887's kernels), both with tables/h200.json, on the 12 held-out untuned shapes, fp16,
# groups 128/32, M = 1/2/4/8/16, scale-only and zeros, twice interleaved; (3) the whole GPU suite.
# On an H100: only (3) (da237d8's launcher refactor has not run on a GPU yet).
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
if echo "$card" | grep -qi h200; then
  CARD=h200 BENCH=dist/final22/gpu.tar.xz NAME=final OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -30
  R=/tmp/res/heur-h200; mkdir -p "$R"
  . scripts/device-lib.sh
  device_check_card h200
  base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
  new=$(unpack_bench dist/final22/gpu.tar.xz /tmp/final22-bench) || exit 2
  export SHAPES=2048x4096,3072x8192,4096x11008,5120x5120,7168x8192,8192x3584,13696x5120,16384x4096,20480x5120,27648x5120,5120x27648,40960x4096
  export MS=1,2,4,8,16 DTYPES=fp16 GROUP_SIZES=128,32
  for r in 1 2; do for set in S Z; do
    bench_run "H$set-head-r$r" "$base" tables/h200.json $(decode_flags $set)
    bench_run "H$set-new-r$r" "$new" tables/h200.json $(decode_flags $set)
  done; done
  for x in HS HZ; do
    python3 scripts/ab-compare.py "$R" $x-head $x-new > "$R/ab-$x.txt"
    echo "== $x: new / head"; python3 scripts/ab-compare.py "$R" $x-head $x-new --summary | tee "$R/summary-$x.txt"
  done
  tar cJf "$OUT/heur-h200.tar.xz" -C /tmp/res heur-h200
  echo "== t=$(( $(date +%s) - t0 ))s"
fi
BUNDLE=dist/final22/gpu.tar.xz NAME=tests-final22 LIMIT=$(( 560 - ($(date +%s) - t0) )) \
  SANITIZE_TOOLS=none OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -20
echo "== t=$(( $(date +%s) - t0 ))s"
