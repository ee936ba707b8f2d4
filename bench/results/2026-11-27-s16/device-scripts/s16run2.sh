#!/usr/bin/env bash
# Session 16 call 2 (H200): branch smemw-config7's bundle: the decode table pass with config 7
# forced at split 1 on every decode bucket against the shipped H200 table, then the whole GPU suite.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
CARD=h200 CONFIGS=7 BENCH=dist/bundle/gpu.tar.xz OUT=$OUT timeout 330 bash scripts/device-table-pass.sh
echo "== table pass rc=$? t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh || exit 2
left=$(( 585 - ($(date +%s) - t0) ))
mkdir -p /tmp/res/tests-h200
( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout $left bash ./run-gpu-tests.sh > /tmp/res/tests-h200/run-gpu-tests.log 2>&1; echo "== run-gpu-tests rc=$? (limit ${left}s) t=$(( $(date +%s) - t0 ))s" )
tail -14 /tmp/res/tests-h200/run-gpu-tests.log; grep -hE "test result: FAILED|panicked" /tmp/res/tests-h200/run-gpu-tests.log | head
xz -9 /tmp/res/tests-h200/run-gpu-tests.log
tar czf "$OUT/tests-h200.tar.gz" -C /tmp/res tests-h200
echo "== t=$(( $(date +%s) - t0 ))s"
