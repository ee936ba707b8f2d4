#!/usr/bin/env bash
# Session 14 call 4 (H100): "fold" = the scale-only mma-variant kernels (configs 4-6) multiply
# biased weights (base + q, no subtraction per pair) and remove (base + 8) x the activation sum
# with one constant-A mma per 16 k and token tile, against "base" (e24bdd0's kernels, the same
# tables): scale-only set with the shipped H100 table, then with configuration 4 forced at split 1
# on every decode bucket; each interleaved twice. Then test-gpu (f64 / fp32 references, every GEMV
# configuration) with fold's bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
B="base=dist/v214base/gpu.tar.xz fold=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS=S NAME=fold OUT=$OUT bash scripts/device-ab.sh || exit $?
python3 scripts/force-table.py /tmp/forced4.json 4 1 1 16 gemv --fill --base tables/h100.json > /dev/null || exit 2
CARD=h100 BENCHES="$B" SETS=S TABLE=/tmp/forced4.json NAME=fold-f4 OUT=$OUT bash scripts/device-ab.sh
echo "== ab done t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh > /dev/null || exit 2
mkdir -p /tmp/res/fold-tests
( cd /tmp/gpu && timeout 240 bash ./run-gpu-tests.sh --only gpu > /tmp/res/fold-tests/test-gpu.log 2>&1; echo "test-gpu rc=$? t=$(( $(date +%s) - t0 ))s" )
grep -hE "worst rel err gemv|test result|FAILED|panicked|PASS|FAIL" /tmp/res/fold-tests/test-gpu.log | head -30
xz -9 /tmp/res/fold-tests/test-gpu.log
tar czf "$OUT/fold-tests.tar.gz" -C /tmp/res fold-tests
echo "== t=$(( $(date +%s) - t0 ))s"
