#!/usr/bin/env bash
# Session 10 device call 7 (H100): GEMV configs 4/5 with zeros in their own kernels (the weights
# scaled and offset by HFMA2 before the mma). The committed build's choices for problems with
# zeros (551d729: configs 4/5 unsupported there, so zeros problems borrowed other entries or fell
# to the heuristic; emulated exactly by zold-emul.json = the shipped table plus an explicit zeros
# entry per bucket with that choice: its 227 kernels are SASS-identical in this build) against
# the shipped table under the new rules (zeros problems may now borrow config 4/5 entries), and
# config 4 / config 5 split 1 forced on every zeros entry (new build); 7 shapes x M = 1, 2, 4, 5,
# 8, 12, 16 x fp16/bf16 x g128/64/32, interleaved twice, no cuBLAS. Then the whole GPU test
# matrix, PDL chains, memcheck + racecheck over the small sanitizer matrix.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s10run7; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/t10; TB=$REPO/tables/h100.json
run() { # dir name flags...
  local D=$1 name=$2; shift 2
  cd $D; LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; cd $B; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
P="--shapes $shapes --m 1,2,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros"
for r in 1 2; do
  run /tmp/gpu Zold-r$r $P --load-table $T/zold-emul.json
  run /tmp/gpu Znew-r$r $P --load-table $TB
  run /tmp/gpu F4-r$r $P --load-table $T/z-c4s1.json
  run /tmp/gpu F5-r$r $P --load-table $T/z-c5s1.json
done
tar czf "$OUT/s10run7.tar.gz" -C /tmp/res s10run7
timeout 300 ./test-gpu --include-ignored --test-threads=1 --nocapture > "$R/tests-gpu.log" 2>&1; echo "gpu tests rc=$? t=$(( $(date +%s) - t0 ))s"
grep -hE "runs,|test result|panicked|FAILED|FAIL " "$R"/tests-gpu.log | head -12
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "chains|test result|panicked|FAILED" "$R"/tests-pdl.log | head -4
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 150 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
tar czf "$OUT/s10run7.tar.gz" -C /tmp/res s10run7
echo "== t=$(( $(date +%s) - t0 ))s"
