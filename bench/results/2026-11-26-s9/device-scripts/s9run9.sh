#!/usr/bin/env bash
# Session 9 device call 9 (H100), the spill-free fast variant: config 4/5 at MT = 16 with natural-order activation rows (16-byte
# copies through L1, ldmatrix B fragments; MT <= 8 unchanged) against the committed build
# (62e4418), old/new/old/new, no cuBLAS: the shipped table (7 shapes, M = 1..16, fp16/bf16 x
# g128/g32), then config 4 and config 5 split 1 forced at M = 9..16 (fp16/bf16 x g128/64/32).
# Correctness: GEMV configurations, PDL chains, memcheck + racecheck (small matrix).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
mkdir -p /tmp/oldb/dist/bundle /tmp/oldb/scripts && cp dist/bundle-s9c/gpu.tar.xz /tmp/oldb/dist/bundle/ && cp scripts/unpack-bundle.sh scripts/untar.py /tmp/oldb/scripts/
bash /tmp/oldb/scripts/unpack-bundle.sh || exit 2
rm -rf /tmp/gpu-old; mv /tmp/gpu /tmp/gpu-old
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s9run9; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/tables9
timeout 200 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$?"
grep -hE "runs,|test result|panicked|FAILED" "$R"/tests-gemv.log | head -5
run() { # dir name flags...
  local D=$1 name=$2; shift 2
  ( cd $D && LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err" )
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for r in 1 2; do
  for v in old new; do
    D=/tmp/gpu; [ $v = old ] && D=/tmp/gpu-old
    run $D S-$v-r$r --shapes $shapes --m 1,2,4,8,12,16 --dtype fp16,bf16 --group 128,32 --load-table "$REPO/tables/h100.json"
  done
  run /tmp/gpu F4-r$r --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100v3-c4s1-9-16.json"
  run /tmp/gpu F5-r$r --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100v3-c5s1-9-16.json"
  run /tmp/gpu B-r$r --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
done
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "chains|test result|panicked|FAILED" "$R"/tests-pdl.log | head -4
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 200 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
tar czf "$OUT/s9run9.tar.gz" -C /tmp/res s9run9
echo "== t=$(( $(date +%s) - t0 ))s"
