#!/usr/bin/env bash
# Session 13 call 7 (H100): "cap" = gemv.v2.13 with config-5 launches with zeros held to four CTAs
# per SM (shared-memory request kNarrowCapSmem where ptxas' registers would let five fit), against
# v213 (dist/v213): the shipped table, zeros set, interleaved twice; config 5 forced on every
# decode bucket, group 128 zeros, interleaved twice; then the whole GPU suite and memcheck over
# every GEMV configuration at small shapes with cap's bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
B="v213=dist/v213/gpu.tar.xz cap=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS=Z NAME=cap OUT=$OUT bash scripts/device-ab.sh || exit $?
python3 scripts/force-table.py /tmp/forced5.json 5 1 1 16 gemv --fill --base tables/h100.json > /dev/null || exit 2
CARD=h100 BENCHES="$B" SETS=Z TABLE=/tmp/forced5.json GROUP_SIZES=128 NAME=cap-f5 OUT=$OUT bash scripts/device-ab.sh
echo "== ab done t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh || exit 2
mkdir -p /tmp/res/cap-tests
( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout 280 bash ./run-gpu-tests.sh > /tmp/res/cap-tests/run-gpu-tests.log 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s" )
tail -12 /tmp/res/cap-tests/run-gpu-tests.log; grep -hE "test result: FAILED|panicked" /tmp/res/cap-tests/run-gpu-tests.log | head
xz -9 /tmp/res/cap-tests/run-gpu-tests.log
W4A16_PDL=1 SANITIZE_TOOLS="memcheck" SANITIZE_TARGETS="test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT=/tmp/res/cap-tests/sanitize timeout 120 bash scripts/sanitize-gpu.sh /tmp/gpu > /tmp/res/cap-tests/sanitize.log 2>&1
echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "^\| memcheck" /tmp/res/cap-tests/sanitize.log
tar czf "$OUT/cap-tests.tar.gz" -C /tmp/res cap-tests
echo "== t=$(( $(date +%s) - t0 ))s"
