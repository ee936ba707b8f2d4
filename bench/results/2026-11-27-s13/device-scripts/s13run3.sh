#!/usr/bin/env bash
# Session 13 call 3 (H200): gemv.v2.13 on the H200.
# 1. v212 (session 12's kernels) / v213 (groups 64/32 scales through the shared ring) / allsmem
#    (experiment: group >= 128's scales through the same ring instead of registers) with the
#    shipped H200 table, interleaved twice (S scale-only, Z zeros);
# 2. the decode table pass with v213 (scripts/device-table-pass.sh, configs 4, 5 forced): the
#    H200 table was last passed with session 11's kernels.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=h200 BENCHES="v212=dist/v212-slim/gpu.tar.xz v213=dist/v213-slim/gpu.tar.xz allsmem=dist/allsmem-slim/gpu.tar.xz" \
  NAME=ab3 OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== ab3 done t=$(( $(date +%s) - t0 ))s"
rm -rf dist/slim && mkdir -p dist/slim && cp dist/v213-slim/gpu.tar.xz dist/slim/ || exit 2
CARD=h200 OUT=$OUT timeout $(( 585 - ($(date +%s) - t0) )) bash scripts/device-table-pass.sh
echo "== table pass done t=$(( $(date +%s) - t0 ))s"
