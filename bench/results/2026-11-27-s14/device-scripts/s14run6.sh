#!/usr/bin/env bash
# Session 14 call 6 (H100), call 5 again: call 5 profiled the rejected "fold" build (still in
# dist/bundle then; its registers gave it away). Where 4096 x 14336 loses at M = 8 (82% of the floor; M = 1 89%;
# 8192 x 28672 M = 8 91%). ncu (clocks free, cold caches, one launch after 3) of config 4 forced
# at split 1 through W4A16_GEMV_CONFIG=4:1 (which now wins over the embedded table), fp16 g128,
# final bundle: 4096x14336 M = 2 and 8, 8192x28672 M = 8 (M = 1 would profile the bench's host-overhead
# calls, 4096² M = 1). For the next session's planning.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/ncu-4096; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
mkdir -p /tmp/b && tar xJf dist/bundle/gpu.tar.xz -C /tmp/b gpu/w4a16-bench || exit 2
metrics=sm__cycles_active.avg,sm__cycles_active.min,sm__cycles_active.max,gpc__cycles_elapsed.max,dram__bytes_read.sum,lts__t_bytes.sum,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active
for spec in 4096x14336:2 4096x14336:8 8192x28672:8; do
  shape=${spec%:*}; m=${spec#*:}; n=$shape-m$m
  W4A16_GEMV_CONFIG=4:1 timeout 120 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${m}ELb0ELb0ELb1E" \
    --launch-skip 3 --launch-count 1 --clock-control none --cache-control all \
    --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats \
    --section Occupancy --section LaunchStats --section SpeedOfLight --metrics $metrics \
    -o "$R/$n" -f /tmp/b/gpu/w4a16-bench --shapes $shape --m $m --dtype fp16 --group 128 --no-cublas --warmup 4 --reps 2 > "$R/$n.log" 2>&1
  echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
  ncu --import "$R/$n.ncu-rep" --page details > "$R/$n-details.txt" 2>&1
  grep -E "Duration|Block Size|Grid Size|Registers Per|Achieved Active Warps|Theoretical Occupancy|Warp Cycles Per Issued|Issue Slots Busy|Eligible Warps|No Eligible|DRAM Throughput|Memory Throughput|L2 Hit|sm__cycles_active|gpc__cycles_elapsed|dram__bytes_read|lts__t_bytes|smsp__inst_executed|sm__warps_active" "$R/$n-details.txt" | head -24
  rm -f "$R/$n.ncu-rep"
done
tar czf "$OUT/ncu-4096.tar.gz" -C /tmp/res ncu-4096
echo "== t=$(( $(date +%s) - t0 ))s"
