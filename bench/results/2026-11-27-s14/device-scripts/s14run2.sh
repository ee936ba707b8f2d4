#!/usr/bin/env bash
# Session 14 call 2 (H200): config 6 (config 5 held to four CTAs per SM) in a decode table pass
# against the shipped H200 table (scripts/device-table-pass.sh, CONFIGS=6).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
CARD=h200 CONFIGS=6 OUT=$OUT timeout 500 bash scripts/device-table-pass.sh
echo "== table pass rc=$? t=$(( $(date +%s) - t0 ))s"
