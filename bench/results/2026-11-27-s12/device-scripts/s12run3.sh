#!/usr/bin/env bash
# Session 12 call 3: candidate SC (the mma variant fetches each step's scales/zeros with its
# weights, two steps ahead, group >= 128) against the committed kernels (old = dist/slim),
# card's shipped table, interleaved twice: scale-only and zeros sets.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD; X=$REPO/dist/exp/s12
R=/tmp/res/s12run3; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
mkdir -p /tmp/v/old /tmp/v/sc
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp/v/old && mv /tmp/v/old/gpu/w4a16-bench /tmp/v/old/ || exit 2
tar xJf "$REPO/dist/exp/sc/sc.tar.xz" -C /tmp/v/sc || exit 2
TB=$REPO/tables/h100.json
grep -q H200 "$R/gpu.txt" && TB=$REPO/tables/h200.json
run() { # name variant flags...
  local name=$1 v=$2; shift 2
  timeout 200 /tmp/v/$v/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --load-table $TB --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
S="--shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32"
Z="--shapes $shapes --m 1,2,4,8,12,16 --dtype fp16,bf16 --group 128,32 --zeros"
for r in 1 2; do
  for v in old sc; do run S-$v-r$r $v $S; done
  for v in old sc; do run Z-$v-r$r $v $Z; done
  tar czf "$OUT/s12run3.tar.gz" -C /tmp/res s12run3
done
python3 $REPO/scripts/ab-compare.py "$R" S-old S-sc > "$R/ab-S.txt"
python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-sc > "$R/ab-Z.txt"
python3 $REPO/scripts/ab-compare.py "$R" S-old S-sc --summary
python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-sc --summary
tar czf "$OUT/s12run3.tar.gz" -C /tmp/res s12run3
echo "== t=$(( $(date +%s) - t0 ))s"
