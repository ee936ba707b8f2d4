#!/usr/bin/env bash
# Session 13 call 5 (H200): the decode sweeps with cuBLAS beside, final bundle (gemv.v2.13, the
# new H200 table): fp16 g128, zeros, fp16/bf16 x g128/64/32, zeros x g128/64/32.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/final-h200; F=$R; mkdir -p "$R"
. "$REPO/scripts/device-lib.sh"
device_check_card h200
bash scripts/unpack-bundle.sh || exit 2
TB=$REPO/tables/h200.json
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
tar czf "$OUT/final-h200.tar.gz" -C /tmp/res final-h200
echo "== t=$(( $(date +%s) - t0 ))s"
