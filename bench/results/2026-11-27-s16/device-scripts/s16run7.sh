#!/usr/bin/env bash
# Session 16 call 7 (H100), HEAD's bundle: where the N = 4096 decode time goes at M = 8-16, for the
# next session. 1. K sweep: N = 4096, K = 1024 ... 16384, M = 1, 8, 16, fp16 g128, config 4 and
# config 7 forced at split 1 (W4A16_GEMV_CONFIG), twice: time = fixed cost + K x slope per M and
# config. 2. ncu warp-state stall reasons of config 7 at 4096² M = 8 and 16 (clocks free, caches
# flushed, one launch after three).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/kprobe; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/bundle/gpu.tar.xz /tmp/kp-bench) || exit 2
shapes=4096x1024,4096x2048,4096x4096,4096x8192,4096x12288,4096x16384
for r in 1 2; do
  for c in 4 7; do
    W4A16_GEMV_CONFIG=$c:1 bench_run "c$c-r$r" "$bin" tables/h100.json --shapes $shapes --m 1,8,16 --dtype fp16 --group 128
  done
done
grep -hE "^\| 4096x" "$R"/c4-r1.md "$R"/c7-r1.md | awk -F'|' '{print $2,$3,$6,$7,$12}'
for m in 8 16; do
  n=ncu-4096sq-m$m-c7
  W4A16_GEMV_CONFIG=7:1 timeout 100 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${m}ELb0ELb0ELb1ELb1E" \
    --launch-skip 3 --launch-count 1 --clock-control none --cache-control all \
    --section WarpStateStats --section SchedulerStats --section SpeedOfLight --section Occupancy --section LaunchStats \
    "$bin" --shapes 4096x4096 --m $m --dtype fp16 --group 128 --no-cublas --warmup 4 --reps 2 > "$R/$n.txt" 2>&1
  echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
  grep -E "Duration|Registers Per|Warp Cycles Per Issued|Issue Slots Busy|Eligible Warps|No Eligible|Stall|Achieved Active Warps|Dynamic Shared" "$R/$n.txt" | head -20
done
tar czf "$OUT/kprobe.tar.gz" -C /tmp/res kprobe
echo "== t=$(( $(date +%s) - t0 ))s"
