#!/usr/bin/env bash
# Session 8 device call 3 (H200, warm): config 4 at M = 1..8 forced (table h200-c4s1-1-8), old
# build (session 7: HSUB2 dequantization) vs new (biased + correction mma), fp16 g128 + bf16 g128
# (bf16 borrows), old/new/old/new.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/h200-*.json /tmp/
[ -x /tmp/gpu-old/w4a16-bench ] || exit 3
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
R=/tmp/res/s8run3; mkdir -p "$R"
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for v in old new old2 new2; do
  if [ "${v#old}" != "$v" ]; then D=/tmp/gpu-old; else D=/tmp/gpu; fi
  ( cd $D && LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 100 ./w4a16-bench --shapes $shapes --m 1,2,4,8 --dtype fp16,bf16 --graph --pdl \
    --warmup 3 --reps 20 --graph-launches 10 --load-table /tmp/h200-c4s1-1-8.json --json "$R/C-$v.json" --md "$R/C-$v.md" > "$R/C-$v.log" 2> "$R/C-$v.err" )
  echo "C $v rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "WRONG|not used" "$R/C-$v.log" "$R/C-$v.err" | head -3
done
tar czf "$OUT/s8run3.tar.gz" -C /tmp/res s8run3
echo "== t=$(( $(date +%s) - t0 ))s"
