#!/usr/bin/env bash
# Session 15 call 4 (H100): "sc3" = the mma variant with group >= 128 loads step 2's SCALES before
# griddepcontrol.wait (with steps 0 and 1's), not at step 0 with step 2's weights; weights as
# before. Why: call 3's "ahead3" (step 2's weights and scales before the wait) made 4096² group 128
# 4-10% faster at M = 1-2 but every other group and shape slower (0.97-0.99x medians); base ncu
# (call 2) has group 128 waiting on global loads more than group 64 at 4096². Against "base"
# (HEAD f9f7211's kernels), shipped H100 table, scale-only and zeros, every group, M = 1-16,
# interleaved twice; then the whole GPU suite and memcheck + racecheck with sc3's bundle.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
B="base=dist/v214base/gpu.tar.xz sc3=dist/bundle/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS="S Z" NAME=sc3 OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab done t=$(( $(date +%s) - t0 ))s"
# The suite only if sc3 is worth keeping: median of every S ratio >= 0.995 and 4096² fp16 g128 M = 1 >= 1.03.
python3 - /tmp/res/sc3-h100/ab-S.txt <<'PY' || { echo "sc3 not kept: no tests"; exit 0; }
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if '|' in l and not l.strip().startswith('shape')]
allr = [float(r[-1]) for r in rows]
key = [float(r[-1]) for r in rows if r[0] == '4096x4096' and r[1] == '1' and r[2] == 'fp16' and r[3] == '128']
print(f"gate: median {st.median(allr):.3f}, 4096^2 fp16 g128 M=1 {key}")
sys.exit(0 if st.median(allr) >= 0.995 and key and key[0] >= 1.03 else 1)
PY
bash scripts/unpack-bundle.sh > /dev/null || exit 2
R=/tmp/res/sc3-tests; mkdir -p "$R"
( cd /tmp/gpu && timeout 300 bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1; echo "suite rc=$? t=$(( $(date +%s) - t0 ))s" )
grep -hE "^== PDL|worst rel err gemv.cfg[456]|^PASS|^FAIL|panicked" "$R/run-gpu-tests.log" | head -30
( cd /tmp/gpu && W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
    OUT=$R/sanitize timeout 240 bash ./sanitize-gpu.sh /tmp/gpu > "$R/sanitize.log" 2>&1; echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s" )
cat "$R/sanitize/sanitize-summary.md" 2>/dev/null | tail -6
xz -9 "$R/run-gpu-tests.log"
tar czf "$OUT/sc3-tests.tar.gz" -C /tmp/res sc3-tests
echo "== t=$(( $(date +%s) - t0 ))s"
