#!/usr/bin/env bash
# Session 13 call 1 (H100): groups 64 / 32 in the mma variant (configs 4/5).
#   old    = gemv.v2.12 (dist/slim, the committed kernels)
#   g64reg = old + the prepared patch: group 64's scales two steps ahead in registers
#   smem   = old + groups 64 / 32 scales two steps ahead through a per-warp shared ring (cp.async)
# 1. all three with the shipped H100 table, interleaved twice (S scale-only, Z zeros);
# 2. the same with config 4 forced at split 1 on every decode bucket, groups 64 / 32 only;
# 3. the whole GPU suite with smem's bundle (time left permitting).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
B="old=dist/slim/gpu.tar.xz g64reg=dist/g64slim/gpu.tar.xz smem=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" NAME=ab OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab done t=$(( $(date +%s) - t0 ))s"
python3 scripts/force-table.py /tmp/forced4.json 4 1 1 16 gemv --fill --base tables/h100.json > /dev/null || exit 2
CARD=h100 BENCHES="$B" TABLE=/tmp/forced4.json GROUP_SIZES=64,32 NAME=f4 OUT=$OUT bash scripts/device-ab.sh
echo "== f4 done t=$(( $(date +%s) - t0 ))s"
left=$(( 575 - ($(date +%s) - t0) ))
[ $left -gt 60 ] || { echo "no time left for the GPU suite"; exit 0; }
bash scripts/unpack-bundle.sh || exit 2
mkdir -p /tmp/res/tests
( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout $left bash ./run-gpu-tests.sh > /tmp/res/tests/run-gpu-tests.log 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s" )
tail -14 /tmp/res/tests/run-gpu-tests.log
grep -hE "test result: FAILED|panicked" /tmp/res/tests/run-gpu-tests.log | head -10
xz -9 /tmp/res/tests/run-gpu-tests.log; cp /tmp/res/tests/run-gpu-tests.log.xz "$OUT/"
echo "== t=$(( $(date +%s) - t0 ))s"
