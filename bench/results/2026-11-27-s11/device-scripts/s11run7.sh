#!/usr/bin/env bash
# Session 11 call 7 (H100): the GEMV heuristic (shapes without table entries) against config 4
# split 1 forced (W4A16_GEMV_CONFIG=4:1) with the gemv.v2.11 kernels, on the 13 untuned shapes of
# sessions 7/10, M = 3, 5, 8, 12, 16 x fp16/bf16 x g128/g32, scale-only and with zeros,
# interleaved twice, no cuBLAS.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD; X=$REPO/dist/exp/s11
R=/tmp/res/s11run7; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp || exit 2
run() { # name flags...
  local name=$1; shift
  timeout 120 /tmp/gpu/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=1024x4096,2048x2048,2048x8192,3584x3584,4096x11008,5120x5120,5120x13824,7168x7168,10240x8192,12288x4096,13824x5120,14336x4096,16384x4096
P="--shapes $shapes --m 3,5,8,12,16 --dtype fp16,bf16 --group 128,32"
for r in 1 2; do
  run H-r$r $P; W4A16_GEMV_CONFIG=4:1 run C4-r$r $P
  run HZ-r$r $P --zeros; W4A16_GEMV_CONFIG=4:1 run C4Z-r$r $P --zeros
  tar czf "$OUT/s11run7.tar.gz" -C /tmp/res s11run7
done
python3 "$X/ab.py" "$R" H C4 > "$R/ab-S.txt"; python3 "$X/ab.py" "$R" HZ C4Z > "$R/ab-Z.txt"
python3 "$X/summ.py" "$R"
tar czf "$OUT/s11run7.tar.gz" -C /tmp/res s11run7
echo "== t=$(( $(date +%s) - t0 ))s"
