#!/usr/bin/env bash
# Session 14 call 7 (H100): "w16" = the mma variant's CTAs on grids of at most one CTA per SM
# (N <= 4096 at split 1) take 16 warps instead of 12 at MT <= 8 (launch bounds 512 threads: a
# 128-register budget instead of 168; ptxas fits them without spills, and gave 128 even for 448
# threads), against "base" (HEAD's build, the same tables): the shipped
# H100 table, scale-only and zeros, M = 1-8, interleaved twice; then test-gpu with w16's bundle.
# Why: ncu (call 6) finds 4096 x 14336 M = 8 latency-bound (0.52 eligible warps per scheduler,
# issue slots ~1/3 busy) with 12 warps per SM. 16 warps also split 4096 x 14336's 112 steps and
# 4096²'s 32 evenly.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
B="base=dist/v214base/gpu.tar.xz w16=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS="S Z" MS=1,2,3,4,5,6,8 NAME=w16 OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab done t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh > /dev/null || exit 2
mkdir -p /tmp/res/w16-tests
( cd /tmp/gpu && timeout 200 bash ./run-gpu-tests.sh --only gpu > /tmp/res/w16-tests/test-gpu.log 2>&1; echo "test-gpu rc=$? t=$(( $(date +%s) - t0 ))s" )
grep -hE "worst rel err gemv.cfg[456]|test result|FAILED|panicked|PASS|FAIL" /tmp/res/w16-tests/test-gpu.log | head -16
xz -9 /tmp/res/w16-tests/test-gpu.log
tar czf "$OUT/w16-tests.tar.gz" -C /tmp/res w16-tests
echo "== t=$(( $(date +%s) - t0 ))s"
