#!/usr/bin/env bash
# Session 15 call 7 (H100): "smemw" = the mma variant (configs 4-6) streams its weights with
# 16-byte cp.async into a per-warp 3-slot shared ring (read with LDS.128 at each step) and takes
# every group's scales (and zeros) from the shared scale ring, so its k loop has no global loads
# into registers. Why (call 6, ncu stall sampling of HEAD): every weight LDG of the k loop writes
# one scoreboard (SB5), and once per unrolled 3-step iteration a consumer of the current step's
# weights waits on that scoreboard, i.e. also for the step s + 2 loads issued a moment before:
# 26.5% of all stall samples of 4096x14336 M = 2 sit on that one instruction (M = 8 14.6%,
# M = 16 16.4% on the scale conversion, whose loads share it). Counted cp.async groups wait only
# for what the step needs. Against "base" (HEAD f9f7211's kernels), shipped H100 table, S and Z,
# every group, M = 1-16, interleaved twice; then, if the S median >= 1.01, the GEMV configuration
# matrix, the small-shape dispatch matrix and the PDL chain test with smemw's bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
B="base=dist/v214base/gpu.tar.xz smemw=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS="S Z" NAME=smemw OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab done t=$(( $(date +%s) - t0 ))s"
python3 - /tmp/res/smemw-h100/ab-S.txt <<'PY' || { echo "smemw not kept: no tests"; exit 0; }
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if '|' in l and not l.strip().startswith('shape')]
allr = [float(r[-1]) for r in rows]
print(f"gate: S median {st.median(allr):.3f}")
sys.exit(0 if st.median(allr) >= 1.01 else 1)
PY
bash scripts/unpack-bundle.sh > /dev/null || exit 2
R=/tmp/res/smemw-tests; mkdir -p "$R"
cd /tmp/gpu || exit 2
export LD_LIBRARY_PATH=/tmp/gpu
for t in "test-gpu gpu_gemv_configs_small_shapes" "test-gpu gpu_matrix_small_shapes_cpu_reference" "test-reliability_gpu pdl_chained_layers"; do
  set -- $t
  timeout 150 ./$1 $2 --include-ignored --test-threads=1 --nocapture > "$R/$2.log" 2>&1; echo "$2 rc=$? t=$(( $(date +%s) - t0 ))s"
  grep -hE "^== |worst rel err gemv.cfg[456]|test result|panicked" "$R/$2.log" | head -8
done
tar czf "$OUT/smemw-tests.tar.gz" -C /tmp/res smemw-tests
echo "== t=$(( $(date +%s) - t0 ))s"
