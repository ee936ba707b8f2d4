#!/usr/bin/env bash
# An interleaved A/B comparison of GEMV builds on one GPU, run on the device machine from the
# repository root:
#
#   CARD=h100 BENCHES="old=dist/slim-old/gpu.tar.xz new=dist/bundle/gpu.tar.xz" \
#     [SETS="S Z"] [ROUNDS=2] [SHAPES=...] [MS=...] [DTYPES=fp16,bf16] [GROUP_SIZES=128,64,32] \
#     [TABLE=tables/h100.json] [NAME=ab] OUT=... bash scripts/device-ab.sh
#
# BENCHES names each build (NAME=archive): an xz tar holding a w4a16-bench anywhere inside (a slim
# archive of gpu/w4a16-bench alone, or a whole `make gpu-bundle` archive). The first is the base.
# CARD names the shipped table (tables/$CARD.json unless TABLE is given); the script stops if the
# GPU is another kind. Per round and set (S scale-only, Z with zeros) every build runs once, in
# BENCHES order (CUDA-graph replay, PDL, no cuBLAS), so that each build's runs are spread over the
# call; then scripts/ab-compare.py writes ab-$SET.txt (per point: the base's fastest run over each
# build's slowest) and prints its per-M summary. Results: $OUT/$NAME-$CARD.tar.gz.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=${CARD:?CARD=h100 or h200}; BENCHES=${BENCHES:?BENCHES="base=archive other=archive ..."}
SETS=${SETS:-S Z}; ROUNDS=${ROUNDS:-2}; NAME=${NAME:-ab}; TB=${TABLE:-$REPO/tables/$CARD.json}
R=/tmp/res/$NAME-$CARD; mkdir -p "$R"
. "$REPO/scripts/device-lib.sh"
device_check_card "$CARD"
names=()
for spec in $BENCHES; do
  name=${spec%%=*}
  bin=$(unpack_bench "${spec#*=}" "/tmp/ab-bench/$name") || exit 2
  ln -sfn "$bin" "/tmp/ab-bench/$name.bench"
  names+=("$name")
done
[ ${#names[@]} -ge 2 ] || { echo "BENCHES needs a base and at least one other build" >&2; exit 2; }
run() { bench_run "$1" "/tmp/ab-bench/$2.bench" "$TB" "${@:3}"; }  # run-name build flags...
flags() { decode_flags "$1"; }
for r in $(seq 1 "$ROUNDS"); do
  for s in $SETS; do
    for b in "${names[@]}"; do run "$s-$b-r$r" "$b" $(flags "$s"); done
  done
  tar czf "$OUT/$NAME-$CARD.tar.gz" -C /tmp/res "$NAME-$CARD"
done
for s in $SETS; do
  runs=(); for b in "${names[@]}"; do runs+=("$s-$b"); done
  python3 "$REPO/scripts/ab-compare.py" "$R" "${runs[@]}" > "$R/ab-$s.txt"
  python3 "$REPO/scripts/ab-compare.py" "$R" "${runs[@]}" --summary
done
tar czf "$OUT/$NAME-$CARD.tar.gz" -C /tmp/res "$NAME-$CARD"
echo "== t=$(( $(date +%s) - t0 ))s"
