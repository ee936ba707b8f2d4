#!/usr/bin/env bash
# Session 20, calls 5-11 and 13-16 (H100), one script, the prototype rebuilt before each call: 5 v1,
# 6 + v2, 7 + v2's accumulator chains, 8 + v3, 9 + v3's timing probes, 10 + the conflict-free
# activation copy order, 11 + v3 three steps ahead, 13 the committed file (helpers folded), 14 + the
# copy probes, 15 + the rotated K order, 16 + v4 (wgmma-h100/ holds call 16's output, which prints
# every version):
# bench/experiments/wgmma_gemv.cu (a warp-group MMA GEMV prototype at
# M = 16, fp16 g128; its own correctness check against a naive fp32 reference and CUDA-graph
# timing, weights rotated over >= 3 x L2) beside the library (HEAD's bundle, tables/h100.json) on
# the same shapes in the same call, the library first and last.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/wgmma-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
export SHAPES=28672x4096,8192x8192,28672x8192,8192x28672 MS=16 DTYPES=fp16 GROUP_SIZES=128
bench_run "lib-r1" "$base" tables/h100.json $(decode_flags S)
timeout 300 dist/wg/wgmma_gemv > "$R/wgmma.txt" 2>&1; echo "wgmma rc=$? t=$(( $(date +%s) - t0 ))s"
bench_run "lib-r2" "$base" tables/h100.json $(decode_flags S)
cat "$R/wgmma.txt"
grep -E "^ *[0-9]+x" "$R/lib-r1.md" "$R/lib-r2.md" | head -12
tar czf "$OUT/wgmma-h100.tar.gz" -C /tmp/res wgmma-h100
echo "== t=$(( $(date +%s) - t0 ))s"
