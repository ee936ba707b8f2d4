#!/usr/bin/env bash
# Session 12 call 5 (H100): candidate R (every mma-variant kernel with group >= 128 fetches each
# step's scales (and zeros) with its weights, two steps ahead, as raw 16-bit values converted or
# paired where used) against the committed kernels (old = dist/slim) and candidate Z (the same for
# kernels with zeros only, values paired at load: the bundle of call 4), shipped table,
# interleaved twice: scale-only and zeros sets.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/s12run5; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
mkdir -p /tmp/v/old /tmp/v/z /tmp/v/r
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp/v/old && mv /tmp/v/old/gpu/w4a16-bench /tmp/v/old/ || exit 2
tar xJf "$REPO/dist/bundle/gpu.tar.xz" -C /tmp/v/z gpu/w4a16-bench && mv /tmp/v/z/gpu/w4a16-bench /tmp/v/z/ || exit 2
tar xJf "$REPO/dist/exp/r/r.tar.xz" -C /tmp/v/r || exit 2
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
Z="--shapes $shapes --m 1,2,4,8,12,16 --dtype fp16,bf16 --group 128 --zeros"
for r in 1 2; do
  for v in old r; do run S-$v-r$r $v $S; done
  for v in old z r; do run Z-$v-r$r $v $Z; done
  tar czf "$OUT/s12run5.tar.gz" -C /tmp/res s12run5
done
python3 $REPO/scripts/ab-compare.py "$R" S-old S-r > "$R/ab-S.txt"
python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-z Z-r > "$R/ab-Z.txt"
python3 $REPO/scripts/ab-compare.py "$R" Z-z Z-r > "$R/ab-Z-zr.txt"
python3 $REPO/scripts/ab-compare.py "$R" S-old S-r --summary
python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-z Z-r --summary
python3 $REPO/scripts/ab-compare.py "$R" Z-z Z-r --summary
tar czf "$OUT/s12run5.tar.gz" -C /tmp/res s12run5
echo "== t=$(( $(date +%s) - t0 ))s"
