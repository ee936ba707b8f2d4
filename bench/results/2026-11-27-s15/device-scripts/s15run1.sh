#!/usr/bin/env bash
# Session 15 call 1 (H100): "allsmem" = the mma variant (configs 4-6) takes group >= 128's scales
# (and zeros) from the per-warp shared ring (one cp.async two steps ahead, as groups 64/32 do since
# v2.13) instead of the register ring of v2.12, against "base" (HEAD f9f7211's kernels); shipped
# H100 table, scale-only and zeros, every group, M = 1-16, interleaved twice.
# Why: session 14's final H100 sweep has 4096² fp16 M = 1 at 4.9 us with group 128 but 4.4 us with
# group 64 (more bytes), and M = 2-3 likewise; the two differ in where the scales come from. On the
# H200 (session 13) allsmem was 0.94-1.03x at group 128; never measured on an H100.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
B="base=dist/v214base/gpu.tar.xz allsmem=dist/allsmem/gpu.tar.xz"
CARD=h100 BENCHES="$B" SETS="S Z" NAME=allsmem OUT=$OUT bash scripts/device-ab.sh || exit $?
echo "== t=$(( $(date +%s) - t0 ))s"
