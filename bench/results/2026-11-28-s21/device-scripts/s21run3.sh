#!/usr/bin/env bash
# Session 21, call 3 (H100): the GEMV heuristic on shapes without table entries. Build `bal`
# (dist/bal), tables/h100.json loaded (no entry for these shapes: the heuristic decides in the
# `heur` runs), then every GEMV configuration forced (0 and 2 at the heuristic's split, 4-7 at
# split 1), 12 layer shapes of common models, M = 1 / 2 / 3 / 4 / 8 / 12 / 16, fp16 group 128,
# scale-only (S) and zeros (Z), once each. Then HEAD's bundle (no last-wave balancing) with
# configs 4 and 5 forced on the 8 shapes where `bal` splits the launch (c4h/c5h against c4/c5).
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/heur-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
new=$(unpack_bench dist/bal/gpu.tar.xz /tmp/bal-bench) || exit 2
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
export SHAPES=1024x4096,1024x8192,3584x18944,5120x13824,10240x8192,11008x4096,12288x4096,13824x5120,14336x4096,18944x3584,22528x4096,57344x8192
export MS=1,2,3,4,8,12,16 DTYPES=fp16 GROUP_SIZES=128
for set in S Z; do
  bench_run "$set-heur-r1" "$new" tables/h100.json $(decode_flags $set)
  for cfg in 0:0 2:0 4:1 5:1 6:1 7:1; do
    W4A16_GEMV_CONFIG=$cfg bench_run "$set-c${cfg%%:*}-r1" "$new" tables/h100.json $(decode_flags $set)
  done
  [ $(( $(date +%s) - t0 )) -gt 520 ] && break
done
(
  export SHAPES=10240x8192,11008x4096,12288x4096,13824x5120,14336x4096,18944x3584,22528x4096,57344x8192
  for cfg in 4:1 5:1; do
    W4A16_GEMV_CONFIG=$cfg bench_run "S-c${cfg%%:*}h-r1" "$base" tables/h100.json $(decode_flags S)
  done
)
python3 scripts/ab-compare.py "$R" S-c4h S-c4 > "$R/ab-bal-c4.txt"
python3 scripts/ab-compare.py "$R" S-c5h S-c5 > "$R/ab-bal-c5.txt"
for set in S Z; do
  python3 scripts/ab-compare.py "$R" $set-heur $set-c0 $set-c2 $set-c4 $set-c5 $set-c6 $set-c7 > "$R/ab-$set.txt" 2>/dev/null
done
head -100 "$R/ab-S.txt"; cat "$R/ab-bal-c4.txt" "$R/ab-bal-c5.txt" | grep -v "^ *$" | head -120
tar czf "$OUT/heur-h100.tar.gz" -C /tmp/res heur-h100
echo "== t=$(( $(date +%s) - t0 ))s"
