#!/usr/bin/env bash
# Session 8 (H100): config 4 at MT <= 8 with biased weights and the bias gathered by one mma per
# sub-block into its own accumulator (added at the flush). Correctness: GEMV configs, PDL chains,
# sanitizer memcheck + racecheck (small matrix). Speed: the committed build (b43565e's kernels) vs
# this one, shipped table, M = 1..8, fp16/bf16 x g128/g32, old/new/old/new, no cuBLAS; then the
# same with config 4 forced on the 28672-wide shapes (table h100-c4s1-1-8).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
mkdir -p /tmp/oldb/dist/bundle /tmp/oldb/scripts && cp dist/bundle-s8b/gpu.tar.xz /tmp/oldb/dist/bundle/ && cp scripts/unpack-bundle.sh scripts/untar.py /tmp/oldb/scripts/
bash /tmp/oldb/scripts/unpack-bundle.sh || exit 2
rm -rf /tmp/gpu-old; mv /tmp/gpu /tmp/gpu-old
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run11; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
timeout 170 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$?"
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "runs,|chains|test result|panicked|FAILED|cfg4" "$R"/tests-*.log | head -12
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 200 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
echo "== t=$(( $(date +%s) - t0 ))s"
run() { # dir name flags...
  local D=$1 name=$2; shift 2
  ( cd $D && LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err" )
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,8192x28672
for r in 1 2; do
  run /tmp/gpu-old B-old-r$r --shapes $shapes --m 1,2,3,4,5,8 --dtype fp16,bf16 --group 128,32
  run /tmp/gpu B-new-r$r --shapes $shapes --m 1,2,3,4,5,8 --dtype fp16,bf16 --group 128,32
done
tar czf "$OUT/s8run11.tar.gz" -C /tmp/res s8run11
echo "== t=$(( $(date +%s) - t0 ))s"
