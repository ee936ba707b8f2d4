#!/usr/bin/env bash
# Session 8 device call 5 (H200): validations of H200 table edits, old/new/old/new, dispatched rows.
# (V) decode: shipped vs h200-final (config 4 at M <= 8 on four shapes + zeros/g32 entries that keep
# the old choice): fp16/bf16 x g128/g32, fp16 g64, zeros. (P) prefill: shipped vs the H100 table's
# M >= 17 choices: fp16 g128 at one M per bucket, fp16 g64 at 64/256/1024; no cuBLAS (ours vs ours).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/h200-*.json /tmp/
[ -x /tmp/gpu/w4a16-bench ] || bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run5; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
run() { # name flags...
  local name=$1; shift
  timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
vs=4096x4096,6144x4096,4096x14336,8192x8192
for r in 1 2; do
  run V-old-r$r --shapes $vs --m 1,2,3,4,5,8 --dtype fp16,bf16 --group 128,64,32 --no-cublas
  run V-new-r$r --shapes $vs --m 1,2,3,4,5,8 --dtype fp16,bf16 --group 128,64,32 --no-cublas --load-table /tmp/h200-final.json
  run Vz-old-r$r --shapes $vs --m 1,2,4,8 --zeros --dtype fp16,bf16 --no-cublas
  run Vz-new-r$r --shapes $vs --m 1,2,4,8 --zeros --dtype fp16,bf16 --no-cublas --load-table /tmp/h200-final.json
done
for r in 1 2; do
  run P-old-r$r --shapes $shapes --m 24,32,48,64,96,128,192,256,512,1024,2048,4096 --no-cublas
  run P-new-r$r --shapes $shapes --m 24,32,48,64,96,128,192,256,512,1024,2048,4096 --no-cublas --load-table /tmp/h200-prefill-cand.json
  run Pg-old-r$r --shapes $shapes --m 64,256,1024 --group 64 --no-cublas
  run Pg-new-r$r --shapes $shapes --m 64,256,1024 --group 64 --no-cublas --load-table /tmp/h200-prefill-cand.json
done
tar czf "$OUT/s8run5.tar.gz" -C /tmp/res s8run5
echo "== t=$(( $(date +%s) - t0 ))s"
