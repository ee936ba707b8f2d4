#!/usr/bin/env bash
# A decode table pass on one GPU, run on the device machine from the repository root:
#
#   CARD=h100 [SETS="S Z"] [CONFIGS="4 5"] [SHAPES=...] [MS=...] OUT=... bash scripts/device-table-pass.sh
#
# CARD names the shipped table (tables/$CARD.json); the script stops if the GPU is another kind.
# The bench comes from dist/bundle (make gpu-bundle) or, smaller to carry, dist/slim/gpu.tar.xz
# holding gpu/w4a16-bench alone. Per problem set (S scale-only, Z with zeros): the shipped table
# and each configuration of CONFIGS forced at split 1 on every decode problem and bucket
# (force-table.py --fill), interleaved twice, no cuBLAS; then choose-buckets.py (>= 2% at every
# measured M of a bucket, conservative ratio) and pin-borrowers.py make $R/cand.json, and the
# shipped table and the candidate run again, interleaved twice (ab-compare.py: ab-V*.txt). The
# candidate becomes tables/$CARD.json only by hand, after reading those comparisons
# (bench/NOTES.md, session 11, "Table passes").
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=${CARD:?CARD=h100 or h200}; SETS=${SETS:-S Z}; CONFIGS=${CONFIGS:-4 5}
R=/tmp/res/table-pass-$CARD; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -qi "${CARD}" "$R/gpu.txt" || { echo "not an $CARD" >&2; exit 3; }
if [ -f "$REPO/dist/slim/gpu.tar.xz" ]; then
  tar xJf "$REPO/dist/slim/gpu.tar.xz" -C /tmp || exit 2
else
  bash "$REPO/scripts/unpack-bundle.sh" || exit 2
fi
TB=$REPO/tables/$CARD.json
for c in $CONFIGS; do
  python3 "$REPO/scripts/force-table.py" "$R/forced-$c.json" "$c" 1 1 16 gemv --fill --base "$TB" > /dev/null || exit 2
done
run() { # name table flags...
  local name=$1 tb=$2; shift 2
  timeout 200 /tmp/gpu/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --load-table "$tb" --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=${SHAPES:-4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672}
grid="--shapes $shapes --m ${MS:-1,2,3,4,5,6,8,12,16} --dtype fp16,bf16 --group 128,64,32"
flags() { if [ "$1" = Z ]; then echo "$grid --zeros"; else echo "$grid"; fi; }
for r in 1 2; do
  for s in $SETS; do
    run "$s-r$r" "$TB" $(flags "$s")
    for c in $CONFIGS; do run "${s}F$c-r$r" "$R/forced-$c.json" $(flags "$s"); done
  done
done
tar czf "$OUT/table-pass-$CARD.tar.gz" -C /tmp/res "table-pass-$CARD"
(
  cd "$REPO/scripts" || exit 2
  cur=$TB
  for s in $SETS; do
    alts=(); for c in $CONFIGS; do alts+=(--alt "${s}F$c"); done
    python3 choose-buckets.py "$cur" --runs "$R" --base "$s" "${alts[@]}" --out "$R/cand-$s.json" > "$R/choose-$s.txt"
    cur=$R/cand-$s.json
  done
  python3 pin-borrowers.py "$TB" "$cur" --out "$R/cand.json" > "$R/pin.txt"
)
cat "$R"/choose-*.txt; tail -1 "$R/pin.txt"
for r in 1 2; do
  for s in $SETS; do
    run "V$s-base-r$r" "$TB" $(flags "$s")
    run "V$s-cand-r$r" "$R/cand.json" $(flags "$s")
  done
done
for s in $SETS; do
  python3 "$REPO/scripts/ab-compare.py" "$R" "V$s-base" "V$s-cand" > "$R/ab-V$s.txt"
  python3 "$REPO/scripts/ab-compare.py" "$R" "V$s-base" "V$s-cand" --summary
done
tar czf "$OUT/table-pass-$CARD.tar.gz" -C /tmp/res "table-pass-$CARD"
echo "== t=$(( $(date +%s) - t0 ))s"
