#!/usr/bin/env bash
# Session 17, calls 7/8: the table passes' M = 3..4 bucket edits (decided from M = 4 alone) checked
# at M = 3 and 4: shipped table against the pass's whole candidate, same bundle (nat4),
# interleaved twice, sets S and Z. CARD=h100 or h200.
set -u
export MS=3,4
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD; CARD=${CARD:?}
R=/tmp/res/m34-$CARD; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card "$CARD"
bin=$(unpack_bench dist/nat4/gpu.tar.xz /tmp/m34-bench) || exit 2
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-base-r$r" "$bin" tables/$CARD.json $(decode_flags $s)
    bench_run "$s-cand-r$r" "$bin" dist/m34/$CARD-cand.json $(decode_flags $s)
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-base" "$s-cand" > "$R/ab-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-base" "$s-cand" --summary
done
tar czf "$OUT/m34-$CARD.tar.gz" -C /tmp/res "m34-$CARD"
echo "== t=$(( $(date +%s) - t0 ))s"
