#!/usr/bin/env bash
# Session 12 call 1 (H100): EXPERIMENT rolling L2 bulk prefetch of the GEMV's weights,
# step s prefetches step s + D (W4A16_EXP_L2AHEAD = D; 0 = off, the baseline in the same binary);
# shipped table, interleaved twice; scale-only and zeros sets.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD; X=$REPO/dist/exp/s12
R=/tmp/res/s12run1; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
mkdir -p /tmp/l2 && tar xJf "$X/l2.tar.xz" -C /tmp/l2 || exit 2
TB=$REPO/tables/h100.json
grep -q H200 "$R/gpu.txt" && TB=$REPO/tables/h200.json
run() { # name D flags...
  local name=$1 d=$2; shift 2
  W4A16_EXP_L2AHEAD=$d timeout 200 /tmp/l2/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --load-table $TB --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
S="--shapes $shapes --m 1,2,4,8,12,16 --dtype fp16,bf16 --group 128,32"
Z="--shapes $shapes --m 1,4,8,16 --dtype fp16 --group 128 --zeros"
for r in 1 2; do
  for d in 0 3 4 6; do run S-d$d-r$r $d $S; done
  for d in 0 4; do run Z-d$d-r$r $d $Z; done
  tar czf "$OUT/s12run1.tar.gz" -C /tmp/res s12run1
done
for d in 3 4 6; do python3 $REPO/scripts/ab-compare.py "$R" S-d0 S-d$d > "$R/ab-S-d$d.txt"; done
python3 $REPO/scripts/ab-compare.py "$R" Z-d0 Z-d4 > "$R/ab-Z-d4.txt"
for d in 3 4 6; do python3 $REPO/scripts/ab-compare.py "$R" S-d0 S-d$d --summary; done
python3 $REPO/scripts/ab-compare.py "$R" Z-d0 Z-d4 --summary
tar czf "$OUT/s12run1.tar.gz" -C /tmp/res s12run1
echo "== t=$(( $(date +%s) - t0 ))s"
