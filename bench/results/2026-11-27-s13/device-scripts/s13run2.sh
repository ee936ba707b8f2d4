#!/usr/bin/env bash
# Session 13 call 2 (H100): smem2 = smem (call 1) with the scale rings left out of group >= 128
# launches' shared memory (dist/bundle).
# 1. old (v2.12) / smem / smem2 with the shipped H100 table, interleaved twice (S, Z);
# 2. the decode table pass with smem2 (scripts/device-table-pass.sh: configs 4, 5 forced);
# 3. memcheck + racecheck over the small sanitizer matrix with PDL, and memcheck over every GEMV
#    configuration and split at small shapes (groups 32 / 64 included).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=h100 BENCHES="old=dist/slim-old/gpu.tar.xz smem=dist/smem1-slim/gpu.tar.xz smem2=dist/bundle/gpu.tar.xz" \
  NAME=ab2 OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab2 done t=$(( $(date +%s) - t0 ))s"
CARD=h100 OUT=$OUT timeout 300 bash scripts/device-table-pass.sh
echo "== table pass done t=$(( $(date +%s) - t0 ))s"
bash scripts/unpack-bundle.sh || exit 2
left=$(( 580 - ($(date +%s) - t0) ))
[ $left -gt 30 ] || { echo "no time left for the sanitizer"; exit 0; }
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" \
  SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small test-gpu:gpu_gemv_configs_small_shapes:memcheck" \
  OUT="/tmp/res/sanitize" timeout $left bash scripts/sanitize-gpu.sh /tmp/gpu > /tmp/res/sanitize.log 2>&1
echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s"
grep -E "^\| (memcheck|racecheck)" /tmp/res/sanitize.log
tar czf "$OUT/sanitize.tar.gz" -C /tmp/res sanitize sanitize.log
echo "== t=$(( $(date +%s) - t0 ))s"
