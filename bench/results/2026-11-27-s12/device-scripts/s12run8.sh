#!/usr/bin/env bash
# Session 12 call 8 (H200): gemv.v2.12 (dist/slim) with the H200 table (not re-passed with this
# build): the decode sweeps with cuBLAS, and v2.12 against ade3bf4 (dist/slim-old) at fp16/bf16
# g128, scale-only and zeros, interleaved twice.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/s12run8; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H200 "$R/gpu.txt" || { echo "not an H200"; exit 3; }
mkdir -p /tmp/v/old /tmp/v/r
tar xJf "$REPO/dist/slim-old/gpu.tar.xz" -C /tmp/v/old && mv /tmp/v/old/gpu/w4a16-bench /tmp/v/old/ || exit 2
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp/v/r && mv /tmp/v/r/gpu/w4a16-bench /tmp/v/r/ || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="${CUBLAS}"
TB=$REPO/tables/h200.json
run() { # name variant flags...
  local name=$1 v=$2; shift 2
  timeout 150 /tmp/v/$v/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 ${NC---no-cublas} "$@" \
    --load-table $TB --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
S="--shapes $shapes --m 1,2,4,8,12,16 --dtype fp16,bf16 --group 128"
for r in 1 2; do for v in old r; do run S-$v-r$r $v $S; run Z-$v-r$r $v $S --zeros; done; done
python3 $REPO/scripts/ab-compare.py "$R" S-old S-r > "$R/ab-S.txt"; python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-r > "$R/ab-Z.txt"
python3 $REPO/scripts/ab-compare.py "$R" S-old S-r --summary; python3 $REPO/scripts/ab-compare.py "$R" Z-old Z-r --summary
tar czf "$OUT/s12run8.tar.gz" -C /tmp/res s12run8
NC= run decode r --shapes $shapes --m 1,2,4,8,16
NC= run decode-zeros r --shapes $shapes --m 1,4,16 --zeros
grep -E "^\| *[0-9]+x" "$R/decode.md" | awk -F'|' '{print $2,$3,$6,$7,$10,$12,$13}'
tar czf "$OUT/s12run8.tar.gz" -C /tmp/res s12run8
echo "== t=$(( $(date +%s) - t0 ))s"
