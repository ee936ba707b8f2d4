#!/usr/bin/env bash
# Session 13 call 4 (H100): the final bundle (gemv.v2.13, the new H100 / H200 tables embedded).
# 1. the whole GPU suite;
# 2. the decode sweeps with cuBLAS beside (shipped table): fp16 g128, zeros, fp16/bf16 x g128/64/32;
# 3. net effect: v212 with its table (dist/v212-slim/h100-table.json, session 12's) against v213
#    with the new one, interleaved twice (S scale-only, Z zeros).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/final-h100; F=$R; mkdir -p "$R"
. "$REPO/scripts/device-lib.sh"
device_check_card h100
bash scripts/unpack-bundle.sh || exit 2
( cd /tmp/gpu && LD_LIBRARY_PATH=/tmp/gpu timeout 260 bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s" )
tail -13 "$R/run-gpu-tests.log"; grep -hE "test result: FAILED|panicked" "$R/run-gpu-tests.log" | head
xz -9 "$R/run-gpu-tests.log"
tar czf "$OUT/final-h100.tar.gz" -C /tmp/res final-h100
TB=$REPO/tables/h100.json
sweep() { # name flags...
  local name=$1; shift
  timeout 200 /tmp/gpu/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --load-table "$TB" --json "$F/$name.json" --md "$F/$name.md" > "$F/$name.log" 2> "$F/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$F/$name.log" "$F/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
sweep decode --shapes $shapes --m 1,2,3,4,5,8,12,16 --svg-prefix $F/decode
sweep decode-zeros --shapes $shapes --m 1,2,4,8,16 --zeros
sweep dg --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32
sweep dgz --shapes $shapes --m 1,4,8,16 --dtype fp16 --group 128,64,32 --zeros
tar czf "$OUT/final-h100.tar.gz" -C /tmp/res final-h100
mkdir -p /tmp/v212 && tar xJf dist/v212-slim/gpu.tar.xz -C /tmp/v212 || exit 2
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-v212-r$r" /tmp/v212/gpu/w4a16-bench "$REPO/dist/v212-slim/h100-table.json" $(decode_flags $s)
    bench_run "$s-v213-r$r" /tmp/gpu/w4a16-bench "$TB" $(decode_flags $s)
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" $s-v212 $s-v213 > "$R/ab-net-$s.txt"
  python3 scripts/ab-compare.py "$R" $s-v212 $s-v213 --summary
done
tar czf "$OUT/final-h100.tar.gz" -C /tmp/res final-h100
echo "== t=$(( $(date +%s) - t0 ))s"
