#!/usr/bin/env bash
# Session 16 call 10 (H100): "mt8" experiment (launcher only: W4A16_EXP_MT8=1 runs M = 9-16 as two
# 8-token tiles, grid.x = 2, instead of the 16-token kernels; the kernels are HEAD's). Configs 4
# and 5 forced at split 1, M = 12 and 16, every decode shape, fp16/bf16, groups 128/64/32,
# scale-only and zeros, each with and without the variable, interleaved twice. Then the GPU
# suite's f64-reference GEMV configuration test with the variable set (correctness of M > 8 as
# two tiles).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/mt8-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/mt8/gpu.tar.xz /tmp/mt8-bench) || exit 2
for r in 1 2; do
  for s in S Z; do
    for c in 4 5; do
      W4A16_GEMV_CONFIG=$c:1 MS=12,16 bench_run "$s$c-base-r$r" "$bin" tables/h100.json $(MS=12,16 decode_flags $s)
      W4A16_EXP_MT8=1 W4A16_GEMV_CONFIG=$c:1 bench_run "$s$c-mt8-r$r" "$bin" tables/h100.json $(MS=12,16 decode_flags $s)
    done
  done
done
for s in S Z; do for c in 4 5; do
  python3 scripts/ab-compare.py "$R" "$s$c-base" "$s$c-mt8" > "$R/ab-$s$c.txt"
  echo "== $s config $c"; python3 scripts/ab-compare.py "$R" "$s$c-base" "$s$c-mt8" --summary
done; done
grep -hE "^ *(4096x14336|28672x4096|4096x4096|8192x8192) +16 fp16 +128 " "$R"/ab-S4.txt "$R"/ab-S5.txt
tar czf "$OUT/mt8-h100.tar.gz" -C /tmp/res mt8-h100
bash scripts/unpack-bundle.sh dist/mt8/gpu.tar.xz > /dev/null 2>&1 || exit 2
( cd /tmp/gpu && W4A16_EXP_MT8=1 LD_LIBRARY_PATH=/tmp/gpu timeout 120 ./test-gpu --include-ignored --test-threads=1 --exact gpu_gemv_configs_small_shapes > /tmp/res/mt8-test.log 2>&1; echo "== mt8 gemv configs test rc=$?" ); tail -5 /tmp/res/mt8-test.log
cp /tmp/res/mt8-test.log "$OUT/"
echo "== t=$(( $(date +%s) - t0 ))s"
