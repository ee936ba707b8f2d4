#!/usr/bin/env bash
# Session 19, call 2 (H100), HEAD's bundle (build `head`, 9d09fbc, the kernels of session 18):
# (a) issue #4's decode sweeps with tables/h100.json (checks the bf16 bucket moved by hand in
#     session 18, not swept since); (b) issue #5 at M = 256 / 1024 on the four >= 8192-wide shapes:
#     the shipped table's picks against cuBLAS fp16 alternated 3 times (--ab-rounds), and every
#     candidate configuration timed twice (--oracle-rounds), with cuBLAS fp16 8192^3 of the same run.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
CARD=h100 BENCH=dist/head/gpu.tar.xz NAME=final OUT=$OUT bash scripts/device-sweep.sh 2>&1 | tail -32
R=/tmp/res/m256-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
timeout 300 "$bin" --graph --pdl --warmup 3 --reps 15 --graph-launches 10 --ab-rounds 3 \
  --oracle --oracle-rounds 2 --shapes 8192x8192,28672x4096,28672x8192,8192x28672 --m 256,1024 \
  --load-table tables/h100.json --json "$R/m256.json" --md "$R/m256.md" > "$R/m256.log" 2> "$R/m256.err"
echo "m256 rc=$? t=$(( $(date +%s) - t0 ))s"
grep -E "copy bandwidth|cuBLAS fp16 8192" "$R/m256.md"
grep -E "^\| [0-9]" "$R/m256.md" | cut -c1-220
tar czf "$OUT/m256-h100.tar.gz" -C /tmp/res m256-h100
echo "== t=$(( $(date +%s) - t0 ))s"
