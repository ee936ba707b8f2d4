#!/usr/bin/env bash
# Session 8 (H200): the final H200 table (tables/h200.json, loaded; the kernels are the committed
# ones): prefill sweep M = 32..4096 with ours and cuBLAS alternated, and decode M = 1..16.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp tables/h200.json /tmp/h200-final-table.json
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run12; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
timeout 150 ./w4a16-bench --shapes $shapes --m 32,64,128,256,1024,4096 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --ab-rounds 2 \
  --load-table /tmp/h200-final-table.json --json $R/prefill.json --md $R/prefill.md --svg-prefix $R/prefill > $R/prefill.log 2> $R/prefill.err; echo "prefill rc=$? t=$(( $(date +%s) - t0 ))s"
timeout 60 ./w4a16-bench --shapes $shapes --m 1,2,3,4,8,12,16 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 \
  --load-table /tmp/h200-final-table.json --json $R/decode.json --md $R/decode.md --svg-prefix $R/decode > $R/decode.log 2> $R/decode.err; echo "decode rc=$?"
grep -hE "WRONG|not used" $R/*.log $R/*.err | head -3
tar czf "$OUT/s8run12.tar.gz" -C /tmp/res s8run12
echo "== t=$(( $(date +%s) - t0 ))s"
