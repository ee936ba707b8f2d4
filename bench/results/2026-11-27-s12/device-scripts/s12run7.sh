#!/usr/bin/env bash
# Session 12 call 7 (H100): the decode table pass with gemv.v2.12 (scripts/device-table-pass.sh:
# configs 4 / 5 forced on every decode problem, scale-only and zeros, candidate table validated
# against the shipped one, interleaved twice), then the decode sweeps with cuBLAS (candidate table).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=h100 SETS="S Z" CONFIGS="4 5" OUT=$OUT bash "$REPO/scripts/device-table-pass.sh" 2>&1 | tail -40
R=/tmp/res/table-pass-h100
CAND=$R/cand.json; [ -f "$CAND" ] || CAND=$REPO/tables/h100.json
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="/tmp/gpu${CUBLAS:+:$CUBLAS}"
F=$R/final; mkdir -p "$F"
sweep() { # name flags...
  local name=$1; shift
  timeout 200 /tmp/gpu/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --load-table "$CAND" --json "$F/$name.json" --md "$F/$name.md" > "$F/$name.log" 2> "$F/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$F/$name.log" "$F/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
sweep decode --shapes $shapes --m 1,2,3,4,5,8,12,16 --svg-prefix $F/decode
sweep decode-zeros --shapes $shapes --m 1,2,4,8,16 --zeros
sweep dg --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32
grep -E "^\| *[0-9]+x" "$F/decode.md" | awk -F'|' '$5 ~ /128/ && $4 ~ /fp16/ {print $2,$3,$6,$7,$10,$12,$13}' | head -60
tar czf "$OUT/table-pass-h100.tar.gz" -C /tmp/res table-pass-h100
echo "== t=$(( $(date +%s) - t0 ))s"
