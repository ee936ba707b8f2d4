#!/usr/bin/env bash
# Session 9 device call 2 (H100): (A) the H100 table with 7 config-4 edits + 9 zeros entries vs the
# shipped table, both with the new build, interleaved twice, no cuBLAS; with and without zeros.
# (B) experiment: config 4 forced at split 1/2/3 with 3/4/6/12 warps per CTA (W4A16_EXP_GEMV_WARPS)
# on the shapes whose grids are more than one CTA per SM.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s9run2; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/tables9
run() { # name flags...
  local name=$1; shift
  timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,4096x14336,8192x8192
for r in 1 2; do
  run V-old-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
  run V-new-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-new1.json"
  run Z-old-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$REPO/tables/h100.json"
  run Z-new-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$T/h100-new1.json"
done
shapes=6144x4096,28672x4096,28672x8192,8192x28672
run W-shipped --shapes $shapes --m 1,2,4,8,16 --load-table "$REPO/tables/h100.json"
for s in 1 2 3; do
  for w in 6 3 4 12; do
    W4A16_EXP_GEMV_WARPS=$w run W-s$s-w$w --shapes $shapes --m 1,2,4,8,16 --load-table "$T/h100-c4s$s-1-16.json"
  done
done
run W-shipped-r2 --shapes $shapes --m 1,2,4,8,16 --load-table "$REPO/tables/h100.json"
tar czf "$OUT/s9run2.tar.gz" -C /tmp/res s9run2
echo "== t=$(( $(date +%s) - t0 ))s"
