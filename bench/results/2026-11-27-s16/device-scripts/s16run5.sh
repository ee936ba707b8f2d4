#!/usr/bin/env bash
# Session 16 call 5: HEAD's bundle (951f735: config 7, the new H100 table embedded).
# On an H200: the decode table pass with config 7 forced at split 1 on every decode bucket against
# the shipped H200 table, then the decode sweeps of #4 with the candidate table, cuBLAS beside.
# On an H100 (the kind may come as either): the whole GPU suite with this bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "$gpu"
if [[ $gpu == *H200* ]]; then
  CARD=h200 CONFIGS=7 OUT=$OUT timeout 380 bash scripts/device-table-pass.sh
  echo "== table pass rc=$? t=$(( $(date +%s) - t0 ))s"
  CARD=h200 NAME=cfg7 TABLE=/tmp/res/table-pass-h200/cand.json OUT=$OUT timeout 150 bash scripts/device-sweep.sh | tail -32
else
  bash scripts/unpack-bundle.sh || exit 2
  mkdir -p /tmp/res/tests-h100
  ( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout 400 bash ./run-gpu-tests.sh > /tmp/res/tests-h100/run-gpu-tests.log 2>&1; echo "== run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s" )
  tail -14 /tmp/res/tests-h100/run-gpu-tests.log; grep -hE "test result: FAILED|panicked" /tmp/res/tests-h100/run-gpu-tests.log | head
  xz -9 /tmp/res/tests-h100/run-gpu-tests.log
  tar czf "$OUT/tests-h100.tar.gz" -C /tmp/res tests-h100
fi
echo "== t=$(( $(date +%s) - t0 ))s"
