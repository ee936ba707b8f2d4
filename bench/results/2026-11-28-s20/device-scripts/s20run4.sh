#!/usr/bin/env bash
# Session 20, call 4 (H100): timing-only probe build `probe` (HEAD + at MT = 16 with per-piece
# sums: bf16 kernels drop the second token tile's mma, fp16 kernels accumulate each group piece
# with the f16-accumulating mma; wrong results, timing only) against HEAD (`head`), both with
# tables/h100.json, all 7 decode shapes, M = 8 / 12 / 16, fp16 + bf16, groups 128 / 64, each side
# twice interleaved; then ncu (pipes, issue, warp states) of HEAD's and the probe's fp16 M = 16
# kernel on 28672x4096 and 4096x14336.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/probe-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/probe/gpu.tar.xz /tmp/probe-bench) || exit 2
export MS=8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64
for r in 1 2; do
  bench_run "S-head-r$r" "$base" tables/h100.json $(decode_flags S)
  bench_run "S-probe-r$r" "$new" tables/h100.json $(decode_flags S)
done
python3 scripts/ab-compare.py "$R" S-head S-probe > "$R/ab-S.txt"
echo "probe / head"; python3 scripts/ab-compare.py "$R" S-head S-probe --summary
grep -E " 16 (fp16|bf16) 128 " "$R/ab-S.txt"
for v in head probe; do
  b=/tmp/$v-bench/gpu/w4a16-bench; [ -x "$b" ] || b=$(find /tmp/$v-bench -name w4a16-bench | head -1)
  for sh in 28672x4096 4096x14336; do
    LD_LIBRARY_PATH=$(dirname "$b") timeout 100 ncu --kernel-name-base mangled \
      --kernel-name "regex:gemv_kernelI6__halfLi16ELb0ELb0ELb1E" --launch-skip 3 --launch-count 1 \
      --clock-control none --section SpeedOfLight --section ComputeWorkloadAnalysis \
      --section WarpStateStats --section SchedulerStats --section InstructionStats \
      "$b" --shapes $sh --m 16 --dtype fp16 --group 128 --no-cublas --warmup 4 --reps 2 \
      --load-table "$REPO/tables/h100.json" > "$R/ncu-$v-$sh-m16.txt" 2>&1
    echo "== ncu $v $sh rc=$? t=$(( $(date +%s) - t0 ))s"
    grep -E "Duration|Issue Slots Busy|Executed Ipc Active|Tensor|No Eligible|Active Warps Per Scheduler|Eligible Warps" "$R/ncu-$v-$sh-m16.txt" | head -12
  done
done
tar czf "$OUT/probe-h100.tar.gz" -C /tmp/res probe-h100
echo "== t=$(( $(date +%s) - t0 ))s"
