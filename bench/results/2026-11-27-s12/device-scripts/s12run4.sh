#!/usr/bin/env bash
# Session 12 call 4 (H100): candidate Z (the mma variant with zeros fetches each step's scales and
# zeros with its weights, two steps ahead, group >= 128; every other kernel SASS-identical to the
# committed build) against the committed kernels (old = dist/slim), shipped table, interleaved
# twice; then the whole GPU test suite with the candidate bundle, and memcheck + racecheck over
# the small sanitizer matrix with PDL.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/s12run4; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
mkdir -p /tmp/v/old /tmp/v/z
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp/v/old && mv /tmp/v/old/gpu/w4a16-bench /tmp/v/old/ || exit 2
cp /tmp/gpu/w4a16-bench /tmp/v/z/ || exit 2
TB=$REPO/tables/h100.json
grep -q H200 "$R/gpu.txt" && TB=$REPO/tables/h200.json
run() { # name variant flags...
  local name=$1 v=$2; shift 2
  LD_LIBRARY_PATH=/tmp/gpu timeout 200 /tmp/v/$v/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --load-table $TB --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
S="--shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128"
Z="--shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros"
for r in 1 2; do
  for v in old z; do run Z-$v-r$r $v $Z; done
  for v in old z; do run S-$v-r$r $v $S; done
  tar czf "$OUT/s12run4.tar.gz" -C /tmp/res s12run4
done
python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-z > "$R/ab-Z.txt"
python3 $REPO/scripts/ab-compare.py "$R" S-old S-z > "$R/ab-S.txt"
python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-z --summary
python3 $REPO/scripts/ab-compare.py "$R" S-old S-z --summary
tar czf "$OUT/s12run4.tar.gz" -C /tmp/res s12run4
cd /tmp/gpu && export LD_LIBRARY_PATH=/tmp/gpu
timeout 330 bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s"
tail -14 "$R/run-gpu-tests.log"
grep -hE "runs,|test result: FAILED|panicked" "$R/run-gpu-tests.log" | head -20
tar czf "$OUT/s12run4.tar.gz" -C /tmp/res s12run4
echo "== t=$(( $(date +%s) - t0 ))s"
