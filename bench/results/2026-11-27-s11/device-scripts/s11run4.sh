#!/usr/bin/env bash
# Session 11 call 4 (H100): gemv.v2.11 (bundle D: the mma variant's activation copies without
# per-row selects, one ldmatrix.x4 at MT = 16, activations two steps ahead at MT <= 8) against the
# committed build (old = a5ab7dc, dist/ab), both with the shipped table, and D with the candidate
# table (11 buckets from call 3's forced runs + 11 pinned borrowers); 7 shapes x M = 1..16 x
# fp16/bf16 x g128/64/32, with and without zeros, interleaved twice, no cuBLAS. Then the final
# decode sweeps with cuBLAS (D, candidate table).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD; X=$REPO/dist/exp/s11
R=/tmp/res/s11run4; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
mkdir -p /tmp/ab && tar xJf "$REPO/dist/ab/ab.tar.xz" -C /tmp/ab || exit 2
mkdir -p /tmp/ab/D && cp /tmp/gpu/w4a16-bench /tmp/ab/D/
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="/tmp/gpu${CUBLAS:+:$CUBLAS}"
TB=$REPO/tables/h100.json; CAND=$X/t/cand.json
run() { # name variant table flags...
  local name=$1 v=$2 tb=$3; shift 3
  timeout 200 /tmp/ab/$v/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 ${NC---no-cublas} "$@" \
    --load-table $tb --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
S="--shapes $shapes --m 1,2,3,4,5,6,8,12,16 --dtype fp16,bf16 --group 128,64,32"
Z="--shapes $shapes --m 1,2,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros"
for r in 1 2; do
  run S-old-r$r old $TB $S; run S-D-r$r D $TB $S; run S-Dc-r$r D $CAND $S
  run Z-old-r$r old $TB $Z; run Z-D-r$r D $TB $Z; run Z-Dc-r$r D $CAND $Z
done
tar czf "$OUT/s11run4.tar.gz" -C /tmp/res s11run4
for s in S Z; do python3 "$X/ab.py" "$R" $s-old $s-D $s-Dc > "$R/ab-$s.txt"; python3 "$X/ab.py" "$R" $s-D $s-Dc > "$R/ab-$s-table.txt"; done
python3 "$X/summ.py" "$R"
NC= run decode D $CAND --shapes $shapes --m 1,2,3,4,5,8,12,16 --svg-prefix $R/decode
NC= run decode-zeros D $CAND --shapes $shapes --m 1,2,4,8,16 --zeros
NC= run dg D $CAND --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32
grep -E "^\| *[0-9]+x" "$R/decode.md" | head -60 | awk -F'|' '{print $2,$3,$6,$7,$8,$10,$11}' | head -60
tar czf "$OUT/s11run4.tar.gz" -C /tmp/res s11run4
echo "== t=$(( $(date +%s) - t0 ))s"
