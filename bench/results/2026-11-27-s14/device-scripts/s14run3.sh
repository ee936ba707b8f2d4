#!/usr/bin/env bash
# Session 14 call 3 (H100), the final bundle (config 6, both new tables):
# 1. the decode sweeps of #4 with cuBLAS beside (scripts/device-sweep.sh);
# 2. a probe: config 4 forced (W4A16_GEMV_CONFIG=4:1, which now wins over the table) on N = 4096
#    with K = 12288 ... 15360, M = 1, 8, 16, fp16 g128, twice: one CTA of 12 warps per SM takes
#    K / 128 steps round-robin, so 14336 (112 steps: 4 warps take 10, 8 take 9) and 15360 (120: all
#    10) share the slowest warp's step count; does the time follow it or the bytes?
# 3. the whole GPU suite with this bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=h100 NAME=final OUT=$OUT timeout 240 bash scripts/device-sweep.sh | tail -40
R=/tmp/res/probe; mkdir -p "$R"
. scripts/device-lib.sh
bin=$(find /tmp/sweep-bench -name w4a16-bench -type f | head -1)
for r in 1 2; do
  W4A16_GEMV_CONFIG=4:1 bench_run "k-r$r" "$bin" tables/h100.json \
    --shapes 4096x12288,4096x13312,4096x13824,4096x14336,4096x15360 --m 1,8,16 --dtype fp16 --group 128
done
grep -hE "^\| 4096x" "$R"/k-r*.md | awk -F'|' '{print $2,$3,$6,$7}'
tar czf "$OUT/probe.tar.gz" -C /tmp/res probe
bash scripts/unpack-bundle.sh > /dev/null || exit 2
mkdir -p /tmp/res/tests
( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout 300 bash ./run-gpu-tests.sh > /tmp/res/tests/run-gpu-tests.log 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s" )
tail -14 /tmp/res/tests/run-gpu-tests.log; grep -hE "test result: FAILED|panicked" /tmp/res/tests/run-gpu-tests.log | head
xz -9 /tmp/res/tests/run-gpu-tests.log
tar czf "$OUT/tests.tar.gz" -C /tmp/res tests
echo "== t=$(( $(date +%s) - t0 ))s"
