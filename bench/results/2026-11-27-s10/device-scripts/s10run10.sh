#!/usr/bin/env bash
# Session 10 device call 10 (H100), the final build (e6fb0ad + the zeros M = 2 heuristic rule):
# the heuristic's choice on the 13 untuned shapes with zeros at M = 1, 2, 3 against call 9's
# forced config 4 (same kernels), interleaved twice, no cuBLAS; then the whole GPU test suite
# (run-gpu-tests.sh: every test binary and the C programs).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
export LD_LIBRARY_PATH="$B"
R=/tmp/res/s10run10; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
run() { # name flags...
  local name=$1; shift
  timeout 200 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=1024x4096,2048x2048,2048x8192,3584x3584,4096x11008,5120x5120,5120x13824,7168x7168,10240x8192,12288x4096,13824x5120,14336x4096,16384x4096
P="--shapes $shapes --m 1,2,3 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table $REPO/tables/h100.json"
for r in 1 2; do
  W4A16_GEMV_CONFIG=0:0 run H0-r$r --shapes $shapes --m 2 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table $REPO/tables/h100.json
  run H-r$r $P
done
tar czf "$OUT/s10run10.tar.gz" -C /tmp/res s10run10
timeout 420 bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s"
tail -25 "$R/run-gpu-tests.log"
grep -hE "runs,|test result: FAILED|panicked" "$R/run-gpu-tests.log" | head -20
tar czf "$OUT/s10run10.tar.gz" -C /tmp/res s10run10
echo "== t=$(( $(date +%s) - t0 ))s"
