#!/usr/bin/env bash
# Session 8 (H200): config 4 at M = 9..16 in the H200 table on 4096² and 8192² (fp16 g128 entries;
# group 32/64 entries keep the previous choice): shipped vs candidate, fp16/bf16 x g128/64/32 +
# zeros, M = 9, 12, 16, no cuBLAS, old/new/old/new.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/h200-mt16-cand.json tables/h200.json /tmp/
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run13; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
run() { local name=$1; shift
  timeout 100 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used" "$R/$name.log" "$R/$name.err" | head -3
}
for r in 1 2; do
  run M-old-r$r --shapes 4096x4096,8192x8192 --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table /tmp/h200.json
  run M-new-r$r --shapes 4096x4096,8192x8192 --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table /tmp/h200-mt16-cand.json
  run Mz-old-r$r --shapes 4096x4096,8192x8192 --m 9,12,16 --zeros --load-table /tmp/h200.json
  run Mz-new-r$r --shapes 4096x4096,8192x8192 --m 9,12,16 --zeros --load-table /tmp/h200-mt16-cand.json
done
tar czf "$OUT/s8run13.tar.gz" -C /tmp/res s8run13
echo "== t=$(( $(date +%s) - t0 ))s"
