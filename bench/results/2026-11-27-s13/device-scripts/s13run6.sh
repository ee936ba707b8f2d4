#!/usr/bin/env bash
# Session 13 call 6 (H100): why group 128 config 5 with zeros lost 3-6% at M = 1 and 4-8 with
# gemv.v2.13 (register allocation: 128 registers, five 3-warp CTAs per SM?). ncu (clocks free,
# cold caches, one launch after 3) of config 5 forced at split 1 (a table from force-table.py: the
# W4A16_GEMV_CONFIG switch does not override a bench's embedded table, which ran config 1 in a first try), 28672 x 4096 fp16 g128 zeros,
# M = 4 and M = 2 (M = 2 did not lose), v212 (dist/v212-slim) and v213 (dist/bundle).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/s13run6; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
python3 scripts/force-table.py /tmp/forced5.json 5 1 1 16 gemv --fill --base tables/h100.json > /dev/null || exit 2
mkdir -p /tmp/v212 /tmp/v213
tar xJf dist/v212-slim/gpu.tar.xz -C /tmp/v212 && tar xJf dist/bundle/gpu.tar.xz -C /tmp/v213 gpu/w4a16-bench || exit 2
for v in v212 v213; do
  for m in 4 2; do
    n=$v-m$m
    timeout 120 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${m}ELb1ELb0ELb1E" --launch-skip 3 --launch-count 1 \
      --clock-control none --cache-control all \
      --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis --section SchedulerStats \
      --section Occupancy --section LaunchStats --section SpeedOfLight \
      -o "$R/$n" -f /tmp/$v/gpu/w4a16-bench --shapes 28672x4096 --m $m --zeros --load-table /tmp/forced5.json --no-cublas --warmup 4 --reps 2 > "$R/$n.log" 2>&1
    echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
    ncu --import "$R/$n.ncu-rep" --page details > "$R/$n-details.txt" 2>&1
    ncu --import "$R/$n.ncu-rep" --page source --csv --print-source sass > "$R/$n-sass.csv" 2>&1
    grep -E "Duration|Registers Per|Block Limit Registers|Block Limit Shared|Achieved Active Warps|Theoretical Occupancy|Warp Cycles Per Issued|Eligible|DRAM Throughput|L2 Hit|L1/TEX Hit|Dynamic Shared" "$R/$n-details.txt" | head -16
    rm -f "$R/$n.ncu-rep"
  done
done
tar czf "$OUT/s13run6.tar.gz" -C /tmp/res s13run6
echo "== t=$(( $(date +%s) - t0 ))s"
