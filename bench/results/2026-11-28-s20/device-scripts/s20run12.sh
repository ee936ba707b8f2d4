#!/usr/bin/env bash
# Session 20, call 12 (H100): ncu (speed of light, memory workload, warp states) of the wgmma_gemv
# prototype's v3 kernel (3 warp groups, 1 CTA per SM) and of the library's M = 16 kernel, both on
# 28672x4096 fp16 g128, one cold launch each.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/wgmma-ncu-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
S="--section SpeedOfLight --section MemoryWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --section WarpStateStats --section SchedulerStats"
timeout 200 ncu --kernel-name-base mangled --kernel-name "regex:wgmma_gemv3ILi3ELi1ELi2E" --launch-skip 0 \
  --launch-count 1 --clock-control none $S dist/wg/wgmma_gemv > "$R/ncu-proto.txt" 2>&1
echo "== proto rc=$? t=$(( $(date +%s) - t0 ))s"
LD_LIBRARY_PATH=$(dirname "$base") timeout 100 ncu --kernel-name-base mangled \
  --kernel-name "regex:gemv_kernelI6__halfLi16ELb0ELb0ELb1E" --launch-skip 3 --launch-count 1 \
  --clock-control none $S "$base" --shapes 28672x4096 --m 16 --dtype fp16 --group 128 --no-cublas \
  --warmup 4 --reps 2 --load-table "$REPO/tables/h100.json" > "$R/ncu-lib.txt" 2>&1
echo "== lib rc=$? t=$(( $(date +%s) - t0 ))s"
for f in proto lib; do
  echo "--- $f"; grep -E "Duration|DRAM Throughput|Memory Throughput|L2 Hit|L1/TEX Hit|dram__bytes|Mem Busy|Max Bandwidth|Issue Slots Busy|No Eligible|Active Warps Per|Warp Cycles Per Issued" "$R/ncu-$f.txt" | head -16
done
tar czf "$OUT/wgmma-ncu-h100.tar.gz" -C /tmp/res wgmma-ncu-h100
