#!/usr/bin/env bash
# Session 19, call 3 (H100), HEAD's bundle: two table edits of issue #5's M = 193-256 bucket from
# call 2's oracle (fp16 g128; other dtypes borrow): 8192 x 28672 config 35 -> 44 (coop 128x128,
# K tile 128: 163.1 µs in both oracle rounds against 186-201), 28672 x 4096 config 17 -> 43
# (coop 256x128 K128: 90-92 against 95). Old and new table alternated twice, each run with cuBLAS
# fp16 alternated 3 times per point (--ab-rounds), M = 200 / 256, fp16 + bf16 g128, 4 wide shapes.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/m256-edit-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
run() {
  timeout 200 "$bin" --graph --pdl --warmup 3 --reps 15 --graph-launches 10 --ab-rounds 3 \
    --shapes 8192x8192,28672x4096,28672x8192,8192x28672 --m 200,256 --dtype fp16,bf16 \
    --load-table "$2" --json "$R/$1.json" --md "$R/$1.md" > "$R/$1.log" 2> "$R/$1.err"
  echo "$1 rc=$? t=$(( $(date +%s) - t0 ))s"
}
for r in 1 2; do
  run old-r$r tables/h100.json
  run new-r$r bench/results/s19/cand-m256.json
done
python3 scripts/ab-compare.py "$R" old new | tee "$R/ab.txt"
for f in old-r1 new-r1 old-r2 new-r2; do echo "== $f"; grep -E "^\| [0-9]" "$R/$f.md" | cut -d'|' -f2-11,13; done
tar czf "$OUT/m256-edit-h100.tar.gz" -C /tmp/res m256-edit-h100
echo "== t=$(( $(date +%s) - t0 ))s"
