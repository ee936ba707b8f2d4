#!/usr/bin/env bash
# Session 19, call 1 (H100), build `probe` (HEAD + two run-time probes, kernels/gemv/gemv.cu):
# (a) W4A16_PROBE_DEEP=1: configs 4-6 at MT = 16 with three activation ring slots (activations two
#     steps ahead) on every grid, against two (HEAD): configs 4 and 5 forced at split 1, all 7
#     decode shapes, M = 9 / 12 / 16, fp16, groups 128/64/32, with and without zeros;
# (b) W4A16_PROBE_NARROW=2/4: config 5's CTAs of 2 or 4 warps instead of 3 (6 or 3 CTAs per SM at
#     the 168-register budget), config 5 forced at split 1 on the five multi-CTA shapes,
#     M = 1 / 4 / 8 / 12 / 16; each variant twice, interleaved; the shipped table beside.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/probe-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
bin=$(unpack_bench dist/probe/gpu.tar.xz /tmp/probe-bench) || exit 2
export DTYPES=fp16
export SHAPES=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672 MS=9,12,16
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-table-r$r" "$bin" tables/h100.json $(decode_flags $s)
    for c in 4 5; do
      W4A16_GEMV_CONFIG=$c:1 bench_run "$s-c$c-r$r" "$bin" tables/h100.json $(decode_flags $s)
      W4A16_GEMV_CONFIG=$c:1 W4A16_PROBE_DEEP=1 bench_run "$s-c${c}deep-r$r" "$bin" tables/h100.json $(decode_flags $s)
    done
  done
done
for s in S Z; do
  for c in 4 5; do
    python3 scripts/ab-compare.py "$R" "$s-c$c" "$s-c${c}deep" > "$R/ab-deep-$s-c$c.txt"
    echo "deep $s c$c"; python3 scripts/ab-compare.py "$R" "$s-c$c" "$s-c${c}deep" --summary
  done
  python3 scripts/ab-compare.py "$R" "$s-table" "$s-c4" "$s-c4deep" "$s-c5" "$s-c5deep" > "$R/ab-table-$s.txt"
done
echo "== deep done t=$(( $(date +%s) - t0 ))s"
export SHAPES=6144x4096,8192x8192,28672x4096,28672x8192,8192x28672 MS=1,4,8,12,16
for r in 1 2; do
  for s in S Z; do
    W4A16_GEMV_CONFIG=5:1 bench_run "$s-n3-r$r" "$bin" tables/h100.json $(decode_flags $s)
    for w in 2 4; do
      W4A16_GEMV_CONFIG=5:1 W4A16_PROBE_NARROW=$w bench_run "$s-n$w-r$r" "$bin" tables/h100.json $(decode_flags $s)
    done
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-n3" "$s-n2" "$s-n4" > "$R/ab-narrow-$s.txt"
  echo "narrow $s"; python3 scripts/ab-compare.py "$R" "$s-n3" "$s-n2" "$s-n4" --summary
done
grep -E "fp16 128 " "$R/ab-table-S.txt"
grep -E "28672x4096.*fp16 128 " "$R/ab-narrow-S.txt"
tar czf "$OUT/probe-h100.tar.gz" -C /tmp/res probe-h100
echo "== t=$(( $(date +%s) - t0 ))s"
