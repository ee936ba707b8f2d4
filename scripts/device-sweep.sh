#!/usr/bin/env bash
# The decode sweeps that record issue #4's state on one GPU, cuBLAS fp16 beside, run on the device
# machine from the repository root:
#
#   CARD=h100 [BENCH=dist/bundle/gpu.tar.xz] [TABLE=tables/$CARD.json] [NAME=sweep] OUT=... \
#     bash scripts/device-sweep.sh
#
# BENCH: an xz tar holding a w4a16-bench (a slim archive or a whole `make gpu-bundle` archive).
# CARD names the table and is checked against the GPU. Four runs (CUDA-graph replay, PDL, the
# ANCHORS shapes): decode (fp16 g128, M = 1-5, 8, 12, 16; with --svg-prefix plots), decode-zeros
# (M = 1, 2, 4, 8, 16), dg (fp16/bf16 x groups 128/64/32, M = 1, 4, 8, 16) and dgz (fp16 zeros x
# groups 128/64/32); then scripts/decode-summary.py prints the fraction of the floor per M, bf16
# against fp16 and groups 64/32 against 128. Results: $OUT/$NAME-$CARD.tar.gz.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
CARD=${CARD:?CARD=h100 or h200}; NAME=${NAME:-sweep}; TB=${TABLE:-$REPO/tables/$CARD.json}
R=/tmp/res/$NAME-$CARD; mkdir -p "$R"
. "$REPO/scripts/device-lib.sh"
device_check_card "$CARD"
bin=$(unpack_bench "${BENCH:-dist/bundle/gpu.tar.xz}" /tmp/sweep-bench) || exit 2
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
sweep_run decode "$bin" "$TB" --shapes $shapes --m 1,2,3,4,5,8,12,16 --svg-prefix "$R/decode"
sweep_run decode-zeros "$bin" "$TB" --shapes $shapes --m 1,2,4,8,16 --zeros
sweep_run dg "$bin" "$TB" --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32
sweep_run dgz "$bin" "$TB" --shapes $shapes --m 1,4,8,16 --dtype fp16 --group 128,64,32 --zeros
python3 "$REPO/scripts/decode-summary.py" "$R" | tee "$R/summary.txt"
tar czf "$OUT/$NAME-$CARD.tar.gz" -C /tmp/res "$NAME-$CARD"
echo "== t=$(( $(date +%s) - t0 ))s"
