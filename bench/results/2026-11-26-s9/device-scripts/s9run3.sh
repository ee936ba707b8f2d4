#!/usr/bin/env bash
# Session 9 device call 3 (H100), build with config 5 (config 4 in 3-warp CTAs):
# (A) the H100 table with config-4 edits + pinned borrowers vs the shipped table, interleaved
#     twice, no cuBLAS, with and without zeros (the one-wave shapes + 8192²);
# (B) config 5 split 1 forced at M = 1..16 (all scale-only entries) vs the shipped table on the 7
#     shapes, fp16/bf16 x g128/g32, interleaved twice;
# (C) GEMV configurations (configs 0-5), PDL chains, sanitizer memcheck + racecheck (small matrix).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s9run3; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/tables9
run() { # name flags...
  local name=$1; shift
  timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,4096x14336,8192x8192
for r in 1 2; do
  run V-old-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
  run V-new-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-new2.json"
  run Z-old-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$REPO/tables/h100.json"
  run Z-new-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$T/h100-new2.json"
done
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for r in 1 2; do
  run S-r$r --shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,32 --load-table "$REPO/tables/h100.json"
  run F5-r$r --shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,32 --load-table "$T/h100-c5s1-1-16.json"
done
timeout 200 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$?"
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "runs,|chains|test result|panicked|FAILED" "$R"/tests-*.log | head -12
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 200 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
tar czf "$OUT/s9run3.tar.gz" -C /tmp/res s9run3
echo "== t=$(( $(date +%s) - t0 ))s"
