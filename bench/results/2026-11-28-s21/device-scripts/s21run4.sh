#!/usr/bin/env bash
# Session 21, call 4 (H100): build `bal3` (HEAD + the last-wave balancing limited to last waves
# at most half full + the new GEMV heuristic for groups >= 64) against HEAD, both with
# tables/h100.json:
# (a) the 7 decode shapes (table picks: only the balancing can differ), M = 1/4/8/12/16, fp16 +
#     bf16, groups 128/64, scale-only and zeros, each side twice interleaved;
# (b) 12 held-out untuned shapes (heuristic picks), fp16, groups 128/64/32, M = 1-16 (7 values),
#     scale-only and zeros, each side twice interleaved;
# (c) the 12 fitting shapes of call 3, bf16 group 64, each side once.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/heur2-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
new=$(unpack_bench dist/bal3/gpu.tar.xz /tmp/bal3-bench) || exit 2
(
  export MS=1,4,8,12,16 DTYPES=fp16,bf16 GROUP_SIZES=128,64
  for r in 1 2; do for set in S Z; do
    bench_run "T$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
    bench_run "T$set-new-r$r" "$new" tables/h100.json $(decode_flags $set)
  done; done
)
(
  export SHAPES=2048x4096,3072x8192,4096x11008,5120x5120,7168x8192,8192x3584,13696x5120,16384x4096,20480x5120,27648x5120,5120x27648,40960x4096
  export MS=1,2,3,4,8,12,16 DTYPES=fp16 GROUP_SIZES=128,64,32
  for r in 1 2; do for set in S Z; do
    bench_run "H$set-head-r$r" "$base" tables/h100.json $(decode_flags $set)
    bench_run "H$set-new-r$r" "$new" tables/h100.json $(decode_flags $set)
  done; done
)
(
  export SHAPES=1024x4096,1024x8192,3584x18944,5120x13824,10240x8192,11008x4096,12288x4096,13824x5120,14336x4096,18944x3584,22528x4096,57344x8192
  export MS=1,2,3,4,8,12,16 DTYPES=bf16 GROUP_SIZES=64
  for set in S Z; do
    bench_run "F$set-head-r1" "$base" tables/h100.json $(decode_flags $set)
    bench_run "F$set-new-r1" "$new" tables/h100.json $(decode_flags $set)
  done
)
for x in TS TZ HS HZ FS FZ; do
  python3 scripts/ab-compare.py "$R" $x-head $x-new > "$R/ab-$x.txt"
  echo "== $x: new / head"; python3 scripts/ab-compare.py "$R" $x-head $x-new --summary | tee "$R/summary-$x.txt"
done
tar czf "$OUT/heur2-h100.tar.gz" -C /tmp/res heur2-h100
echo "== t=$(( $(date +%s) - t0 ))s"
