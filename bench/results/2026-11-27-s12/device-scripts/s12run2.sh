#!/usr/bin/env bash
# Session 12 call 2: where the mma-variant GEMV's warps wait. ncu (clocks free, cold caches, one
# launch after 3) with warp-state and per-SASS-instruction stall sampling, the committed kernels
# (dist/slim), shipped table: 8192^2 M = 16 and M = 4, 4096x14336 M = 16 and M = 2 (the bench's host-time launches are 4096^2 M = 1).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/s12run2; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
mkdir -p /tmp/slim && tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp/slim || exit 2
B=$(find /tmp/slim -name w4a16-bench -type f | head -1)
TB=$REPO/tables/h100.json
grep -q H200 "$R/gpu.txt" && TB=$REPO/tables/h200.json
for pt in 8192x8192:16:16 8192x8192:4:4 4096x14336:16:16 4096x14336:2:2; do
  IFS=: read sh m mt <<< "$pt"
  n=$sh-m$m
  W4A16_GEMV_CONFIG=4:1 timeout 120 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${mt}ELb0ELb0ELb1E" --launch-skip 3 --launch-count 1 \
    --clock-control none --cache-control all \
    --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis --section SchedulerStats \
    --section Occupancy --section LaunchStats --section SpeedOfLight \
    -o "$R/$n" -f "$B" --shapes $sh --m $m --no-cublas --warmup 4 --reps 2 > "$R/$n.log" 2>&1
  echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
  ncu --import "$R/$n.ncu-rep" --page details > "$R/$n-details.txt" 2>&1
  ncu --import "$R/$n.ncu-rep" --page source --csv --print-source sass > "$R/$n-sass.csv" 2>&1
  grep -E "Duration|Warp Cycles Per Issued|Issued Warp|Eligible|Active Warps Per|DRAM Throughput|L2 Hit|Memory Throughput" "$R/$n-details.txt" | head -12
  ls -la "$R/$n-sass.csv"
  rm -f "$R/$n.ncu-rep"
done
tar czf "$OUT/s12run2.tar.gz" -C /tmp/res s12run2
echo "== t=$(( $(date +%s) - t0 ))s"
