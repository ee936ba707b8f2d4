#!/usr/bin/env bash
# A decode table pass on one GPU, run on the device machine from the repository root:
#
#   CARD=h100 [BENCH=archive] [SETS="S Z"] [CONFIGS="4 5"] [SHAPES=...] [MS=...] OUT=... \
#     bash scripts/device-table-pass.sh
#
# CARD names the shipped table (tables/$CARD.json); the script stops if the GPU is another kind.
# The bench comes from BENCH (an xz tar holding a w4a16-bench), else dist/slim/gpu.tar.xz
# (gpu/w4a16-bench alone, smaller to carry) if carried, else dist/bundle (make gpu-bundle).
# Per problem set (S scale-only, Z with zeros): the shipped table and each configuration of
# CONFIGS forced at split 1 on every decode problem and bucket (force-table.py --fill),
# interleaved twice, no cuBLAS; then choose-buckets.py (>= 2% at every
# measured M of a bucket, conservative ratio) and pin-borrowers.py make $R/cand.json, and the
# shipped table and the candidate run again, interleaved twice (ab-compare.py: ab-V*.txt). The
# candidate becomes tables/$CARD.json only by hand, after reading those comparisons
# (bench/NOTES.md, session 11, "Table passes").
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=${CARD:?CARD=h100 or h200}; SETS=${SETS:-S Z}; CONFIGS=${CONFIGS:-4 5}
R=/tmp/res/table-pass-$CARD; mkdir -p "$R"
. "$REPO/scripts/device-lib.sh"
device_check_card "$CARD"
archive=dist/slim/gpu.tar.xz
[ -f "$REPO/$archive" ] || archive=dist/bundle/gpu.tar.xz
bin=$(unpack_bench "${BENCH:-$archive}" /tmp/table-pass-bench) || exit 2
TB=$REPO/tables/$CARD.json
for c in $CONFIGS; do
  python3 "$REPO/scripts/force-table.py" "$R/forced-$c.json" "$c" 1 1 16 gemv --fill --base "$TB" > /dev/null || exit 2
done
run() { bench_run "$1" "$bin" "${@:2}"; }  # name table flags...
flags() { decode_flags "$1"; }
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
