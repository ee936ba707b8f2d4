#!/usr/bin/env bash
# Session 10 device call 9 (H100), the build of call 7 (configs 4/5 with zeros): the 13 untuned
# shapes of session 7 (no table entries: the heuristic decides), weights with zeros, fp16/bf16 x
# g128/64/32, M = 1, 2, 3, 4, 5, 8, 12, 16: the heuristic (config 0 at M <= 2, cluster tensor-core
# GEMV above) against config 4 split 1 forced (W4A16_GEMV_CONFIG=4:1), interleaved twice, no cuBLAS.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
export LD_LIBRARY_PATH="$B"
R=/tmp/res/s10run9; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
run() { # name flags...
  local name=$1; shift
  timeout 200 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=1024x4096,2048x2048,2048x8192,3584x3584,4096x11008,5120x5120,5120x13824,7168x7168,10240x8192,12288x4096,13824x5120,14336x4096,16384x4096
P="--shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table $REPO/tables/h100.json"
for r in 1 2; do
  run H-r$r $P
  W4A16_GEMV_CONFIG=4:1 run C4-r$r $P
done
tar czf "$OUT/s10run9.tar.gz" -C /tmp/res s10run9
echo "== t=$(( $(date +%s) - t0 ))s"
