#!/usr/bin/env bash
# Session 15 call 2 (H100): why 4096² runs group 64 faster than group 128 (base: M = 2 fp16 4.72 vs
# 4.98 us, more bytes) while allsmem (call 1: g128 scales through the shared ring) makes g128 ~2%
# faster and g64 ~8-10% SLOWER there although g64's code path is unchanged. Hypothesis: at 4096²
# (12 warps x ~2.7 steps per warp) the k loop's code is fetched ~once per call, so instruction
# fetch (code placement) decides. ncu (clocks free, caches NOT flushed, the 4th launch), config 4
# split 1 forced, 4096² M = 2 fp16, group 128 and 64, both builds: stall reasons per issue.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/ncu-icache; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
for b in v214base allsmem; do mkdir -p /tmp/b/$b && tar xJf dist/$b/gpu.tar.xz -C /tmp/b/$b gpu/w4a16-bench || exit 2; done
metrics=sm__cycles_active.avg,gpc__cycles_elapsed.max,dram__bytes_read.sum,smsp__inst_executed.sum,smsp__average_warps_issue_stalled_no_instruction_per_issue_active.ratio,smsp__average_warps_issue_stalled_branch_resolving_per_issue_active.ratio,smsp__average_warps_issue_stalled_long_scoreboard_per_issue_active.ratio,smsp__average_warps_issue_stalled_wait_per_issue_active.ratio,smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio,smsp__average_warps_issue_stalled_short_scoreboard_per_issue_active.ratio
for b in v214base allsmem; do
  for g in 128 64; do
    n=$b-g$g
    W4A16_GEMV_CONFIG=4:1 timeout 120 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi2ELb0ELb0ELb1E" \
      --launch-skip 3 --launch-count 1 --clock-control none --cache-control none \
      --section WarpStateStats --section SchedulerStats --section SpeedOfLight --section LaunchStats --metrics $metrics \
      -o "$R/$n" -f /tmp/b/$b/gpu/w4a16-bench --shapes 4096x4096 --m 2 --dtype fp16 --group $g --no-cublas --warmup 4 --reps 2 > "$R/$n.log" 2>&1
    echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
    ncu --import "$R/$n.ncu-rep" --page details > "$R/$n-details.txt" 2>&1
    ncu --import "$R/$n.ncu-rep" --page raw --csv > "$R/$n-raw.csv" 2>&1
    grep -E "Duration|Registers Per|Warp Cycles Per Issued|Issue Slots Busy|Eligible Warps|DRAM Throughput|smsp__average_warps|sm__cycles_active|gpc__cycles|smsp__inst_executed" "$R/$n-details.txt" | head -24
    rm -f "$R/$n.ncu-rep"
  done
done
tar czf "$OUT/ncu-icache.tar.gz" -C /tmp/res ncu-icache
echo "== t=$(( $(date +%s) - t0 ))s"
