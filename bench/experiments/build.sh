#!/usr/bin/env bash
# Builds the experiment programs of bench/experiments/ (not part of the library or of CI) into
# OUT_DIR (default dist/experiments), with the project's bootstrapped nvcc and CUTLASS.
# Run them on a GPU machine: OUT_DIR/access_pattern, OUT_DIR/stream_floor, OUT_DIR/memset_node_cost,
# OUT_DIR/wgmma_gemv, OUT_DIR/sm90_reorder.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/dist/experiments}
cuda=${CUDA_HOME:-$root/.toolchain/cuda}
cutlass=${W4A16_CUTLASS_DIR:-$root/.toolchain/cutlass-src}
mkdir -p "$out"
nv=("$cuda/bin/nvcc" -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -DNDEBUG
    --expt-relaxed-constexpr -Xptxas=-v -Xptxas=-warn-spills)
inc=(-I"$root/kernels" -isystem "$cutlass/include" -isystem "$cutlass/tools/util/include")
# CUTLASS's tools/util (reorder_tensor) includes curand_kernel.h, which the bootstrapped toolkit
# lacks: CURAND_INCLUDE names a folder holding it (e.g. the include/ of an nvidia-curand wheel).
if [ -n "${CURAND_INCLUDE:-}" ]; then inc+=(-isystem "$CURAND_INCLUDE"); fi
"${nv[@]}" -o "$out/access_pattern" "$root/bench/experiments/access_pattern.cu"
"${nv[@]}" -I"$root/kernels" -o "$out/stream_floor" "$root/bench/experiments/stream_floor.cu"
"${nv[@]}" -I"$root/kernels" -o "$out/memset_node_cost" "$root/bench/experiments/memset_node_cost.cu"
"${nv[@]}" -I"$root/kernels" -o "$out/wgmma_gemv" "$root/bench/experiments/wgmma_gemv.cu"
# sm90_reorder: one object per configuration (the CUTLASS instantiations are heavy), two at once.
src=$root/bench/experiments/sm90_reorder.cu
pids=()
for part in SK64 C128 C256 MAIN; do
  "${nv[@]}" "${inc[@]}" -DW4A16_EXPERIMENT_$part -c -o "$out/sm90_reorder_$part.o" "$src" \
    > "$out/sm90_reorder_$part.log" 2>&1 &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || { cat "$out"/sm90_reorder_*.log; exit 1; }; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || { cat "$out"/sm90_reorder_*.log; exit 1; }; done
"${nv[@]}" -o "$out/sm90_reorder" "$out"/sm90_reorder_{SK64,C128,C256,MAIN}.o
grep -h -i "spill\|C7510\|warning" "$out"/sm90_reorder_*.log | sort | uniq -c | head -20 || true
echo "built: $out/access_pattern $out/stream_floor $out/memset_node_cost $out/sm90_reorder"
