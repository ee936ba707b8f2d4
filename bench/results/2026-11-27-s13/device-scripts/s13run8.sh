#!/usr/bin/env bash
# Session 13 call 8 (H200): the config-5 four-CTA cap (dist/bundle, final) against v213 (dist/v213)
# on the H200: shipped H200 table, zeros set, interleaved twice; config 5 forced on every group-128
# zeros bucket, interleaved twice.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
B="v213=dist/v213/gpu.tar.xz cap=dist/bundle/gpu.tar.xz"
CARD=h200 BENCHES="$B" SETS=Z NAME=cap OUT=$OUT bash scripts/device-ab.sh || exit $?
python3 scripts/force-table.py /tmp/forced5.json 5 1 1 16 gemv --fill --base tables/h200.json > /dev/null || exit 2
CARD=h200 BENCHES="$B" SETS=Z TABLE=/tmp/forced5.json GROUP_SIZES=128 NAME=cap-f5 OUT=$OUT bash scripts/device-ab.sh
