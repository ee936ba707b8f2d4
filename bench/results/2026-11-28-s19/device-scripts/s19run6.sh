#!/usr/bin/env bash
# Session 19, call 6 (H100), HEAD's bundle (build `head`): issue #5's other points re-measured for
# the record: the shipped table's picks against cuBLAS fp16, alternated 3 times per point
# (--ab-rounds), M = 64 / 128 / 1024 / 4096 on the 7 ANCHORS shapes, fp16 g128.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/prefill-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
timeout 400 "$bin" --graph --pdl --warmup 3 --reps 10 --graph-launches 5 --ab-rounds 3 \
  --m 64,128,1024,4096 --load-table tables/h100.json \
  --json "$R/prefill.json" --md "$R/prefill.md" > "$R/prefill.log" 2> "$R/prefill.err"
echo "prefill rc=$? t=$(( $(date +%s) - t0 ))s"
grep -E "copy bandwidth|cuBLAS fp16 8192" "$R/prefill.md"
grep -E "^\| [0-9]" "$R/prefill.md" | cut -d'|' -f2-7,10,13
tar czf "$OUT/prefill-h100.tar.gz" -C /tmp/res prefill-h100
echo "== t=$(( $(date +%s) - t0 ))s"
