#!/usr/bin/env bash
# Session 9 device call 4 (H200): the shipped H200 table against config 4 split 1 forced at
# M = 5..16 (12-warp CTAs in one-wave grids now) and config 5 split 1 forced at M = 1..16, all
# scale-only entries, on the 7 shapes, fp16/bf16 x g128/64/32, interleaved twice, no cuBLAS.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s9run4; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H200 "$R/gpu.txt" || { echo "not an H200"; exit 3; }
T=$REPO/dist/exp/tables9
run() { # name flags...
  local name=$1; shift
  timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for r in 1 2; do
  run S-r$r --shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h200.json"
  run F4-r$r --shapes $shapes --m 5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h200-c4s1-5-16.json"
  run F5-r$r --shapes $shapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h200-c5s1-1-16.json"
done
tar czf "$OUT/s9run4.tar.gz" -C /tmp/res s9run4
echo "== t=$(( $(date +%s) - t0 ))s"
