#!/usr/bin/env bash
# Session 10 device call 1 (H100): the committed build (dist/base, S old) against this one (S new,
# shipped table: the kB = 2 kernels' SASS changed: tile-1 loads now use immediate offsets); config 6 (64-row CTAs of the mma variant) forced at split 1 and
# 2 for M = 5..16 against the shipped table, interleaved twice (no cuBLAS); GEMV configuration
# tests with config 6; memcheck + racecheck over the small sanitizer matrix.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
mkdir -p /tmp/oldb/dist/bundle /tmp/oldb/scripts && cp dist/base/gpu.tar.xz /tmp/oldb/dist/bundle/ && cp scripts/unpack-bundle.sh scripts/untar.py /tmp/oldb/scripts/
bash /tmp/oldb/scripts/unpack-bundle.sh || exit 2
rm -rf /tmp/gpu-old; mv /tmp/gpu /tmp/gpu-old
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s10run1; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/t10
run() { # dir name flags...
  local D=$1 name=$2; shift 2
  cd $D; LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; cd $B; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for r in 1 2; do
  run /tmp/gpu-old Sold-r$r --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,32 --load-table "$REPO/tables/h100.json"
  run /tmp/gpu Snew-r$r --shapes $shapes --m 1,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
  run /tmp/gpu F6s1-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/c6s1.json"
  run /tmp/gpu F6s2-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/c6s2.json"
done
tar czf "$OUT/s10run1.tar.gz" -C /tmp/res s10run1
timeout 240 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$? t=$(( $(date +%s) - t0 ))s"
grep -hE "runs,|test result|panicked|FAILED|FAIL " "$R"/tests-gemv.log | head -8
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 150 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
tar czf "$OUT/s10run1.tar.gz" -C /tmp/res s10run1
echo "== t=$(( $(date +%s) - t0 ))s"
