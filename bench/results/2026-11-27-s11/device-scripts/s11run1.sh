#!/usr/bin/env bash
# Session 11 call 1 (H100): tensor-pipe rates (mma.sync vs wgmma RS at small N) and ncu of the
# mma-variant GEMV at 8192^2 M = 16 / 8 and 28672x4096, 4096x14336 M = 16 (pipe use, issue,
# stalls). ("8192x8192 M=1" in the outputs is the bench's 4096^2 host-time launch: --launch-skip 3
# landed on it.) dist/slim held the committed build's w4a16-bench (a5ab7dc).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/s11run1; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv,noheader | tee "$R/gpu.txt"
"$REPO/dist/exp/s11/tensor_pipe" 2>&1 | tee "$R/tensor_pipe.txt"
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp || exit 2
B=/tmp/gpu; cd "$B" || exit 2
export LD_LIBRARY_PATH="$B"
M="sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_tensor_op_hmma.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__cycles_elapsed.avg,gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active,regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio,regex:sm__inst_executed_pipe_.*\.sum,smsp__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active,smsp__pipe_alu_cycles_active.avg.pct_of_peak_sustained_active,smsp__inst_executed_pipe_fp16.sum"
for pt in 8192x8192:16:16 8192x8192:8:8 8192x8192:1:1 28672x4096:16:16 4096x14336:16:16; do
  IFS=: read sh m mt <<< "$pt"
  timeout 100 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${mt}ELb0ELb0ELb1E" --launch-skip 3 --launch-count 1 \
    --metrics "$M" ./w4a16-bench --shapes $sh --m $m --no-cublas --warmup 4 --reps 2 --load-table "$REPO/tables/h100.json" \
    > "$R/ncu-$sh-m$m.txt" 2>&1
  echo "== $sh M=$m rc=$? t=$(( $(date +%s) - t0 ))s"
done
tar czf "$OUT/s11run1.tar.gz" -C /tmp/res s11run1
