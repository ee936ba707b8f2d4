#!/usr/bin/env bash
# Session 11 calls 6/7: table pass with the gemv.v2.11 kernels on one card (CARD = h100 | h200,
# SETS = the problem sets: S scale-only, Z with zeros). Per set: the card's shipped table (base)
# and config 4 / config 5 split 1 forced on every decode problem and bucket (force-table.py
# --fill), interleaved twice, no cuBLAS; on the machine: scripts/choose-buckets.py (>= 2% at every
# measured M, conservative) and pin-borrowers.py make the candidate; then base vs candidate,
# interleaved twice, every set.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD; X=$REPO/dist/exp/s11
CARD=${CARD:?}; SETS=${SETS:-S Z}
R=/tmp/res/s11run6-$CARD; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
case $CARD in h100) grep -q H100 "$R/gpu.txt" ;; h200) grep -q H200 "$R/gpu.txt" ;; esac || { echo "not an $CARD"; exit 3; }
tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp || exit 2
TB=$REPO/tables/$CARD.json
run() { # name table flags...
  local name=$1 tb=$2; shift 2
  timeout 200 /tmp/gpu/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --load-table $tb --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
base="--shapes $shapes --m 1,2,3,4,5,6,8,12,16 --dtype fp16,bf16 --group 128,64,32"
flags() { [ "$1" = Z ] && echo "$base --zeros" || echo "$base"; }
for r in 1 2; do for s in $SETS; do
  run $s-r$r $TB $(flags $s)
  run ${s}F4-r$r $X/t/$CARD-ff4.json $(flags $s)
  run ${s}F5-r$r $X/t/$CARD-ff5.json $(flags $s)
done; done
tar czf "$OUT/s11run6-$CARD.tar.gz" -C /tmp/res s11run6-$CARD
cur=$TB
(cd "$REPO/scripts" && for s in $SETS; do
  python3 choose-buckets.py $cur --runs $R --base $s --alt ${s}F4 --alt ${s}F5 --out $R/cand-$s.json > $R/choose-$s.txt
  cur=$R/cand-$s.json
done
python3 pin-borrowers.py $TB $cur --out $R/cand.json > $R/pin.txt)
cat $R/choose-*.txt; tail -2 $R/pin.txt
for r in 1 2; do for s in $SETS; do
  run V$s-base-r$r $TB $(flags $s)
  run V$s-cand-r$r $R/cand.json $(flags $s)
done; done
for s in $SETS; do python3 "$X/ab.py" "$R" V$s-base V$s-cand > "$R/ab-V$s.txt"; done
python3 "$X/summ.py" "$R"
tar czf "$OUT/s11run6-$CARD.tar.gz" -C /tmp/res s11run6-$CARD
echo "== t=$(( $(date +%s) - t0 ))s"
