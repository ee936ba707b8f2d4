#!/usr/bin/env bash
# Session 18, call 2 (H100): config 7 with its weights (and every group's scales) in bulk copies
# completed on one mbarrier per ring slot (build `bulk`), against HEAD's config 7 (16-byte
# cp.async per lane into a 3-slot ring, build `r8`), and the ring depth W4A16_PROBE_WSLOTS = 3
# (HEAD's depth: 2 steps ahead), 5, 8 (clamped to what fits the launch's CTAs per SM).
# (a) memcheck + racecheck of sanitize_matrix_small with PDL and the whole GPU suite of `bulk`;
# (b) config 7 forced at split 1, all 7 decode shapes, M = 1 / 4 / 8 / 16, fp16, groups 128/64/32,
# with and without zeros, each variant twice, interleaved; also `r8` with its table's picks.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
BUNDLE=dist/bulk/gpu.tar.xz NAME=tests-bulk LIMIT=330 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -22
tar czf "$OUT/tests-bulk.tar.gz" -C /tmp/res tests-bulk
R=/tmp/res/bulk-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/r8/gpu.tar.xz /tmp/r8-bench) || exit 2
new=$(unpack_bench dist/bulk/gpu.tar.xz /tmp/bulk-bench) || exit 2
export MS=1,4,8,16 DTYPES=fp16
for r in 1 2; do
  for s in S Z; do
    bench_run "$s-table-r$r" "$base" tables/h100.json $(decode_flags $s)
    W4A16_GEMV_CONFIG=7:1 bench_run "$s-c7-r$r" "$base" tables/h100.json $(decode_flags $s)
    for d in 3 5 8; do
      W4A16_GEMV_CONFIG=7:1 W4A16_PROBE_WSLOTS=$d bench_run "$s-bulk$d-r$r" "$new" tables/h100.json $(decode_flags $s)
    done
  done
done
for s in S Z; do
  python3 scripts/ab-compare.py "$R" "$s-c7" "$s-bulk3" "$s-bulk5" "$s-bulk8" > "$R/ab-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-c7" "$s-bulk3" "$s-bulk5" "$s-bulk8" --summary
  python3 scripts/ab-compare.py "$R" "$s-table" "$s-c7" "$s-bulk3" "$s-bulk5" "$s-bulk8" > "$R/ab-table-$s.txt"
  python3 scripts/ab-compare.py "$R" "$s-table" "$s-c7" "$s-bulk3" "$s-bulk5" "$s-bulk8" --summary
done
grep -E "fp16 128 " "$R/ab-table-S.txt"
tar czf "$OUT/bulk-h100.tar.gz" -C /tmp/res bulk-h100
echo "== t=$(( $(date +%s) - t0 ))s"
