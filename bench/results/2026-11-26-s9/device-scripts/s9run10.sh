#!/usr/bin/env bash
# Session 9 device call 10 (H100), the build of call 9 (MT = 16 natural rows; its MT = 16 kernels'
# SASS is that of the committed source): the H100 table with the M = 9..16 edits + pinned borrowers
# vs the table before them, interleaved twice, no cuBLAS, with and without zeros (7 shapes,
# M = 9, 12, 16, fp16/bf16 x g128/64/32); then the final decode sweep with cuBLAS.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s9run10; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/tables9
run() { # name flags...
  local name=$1; shift
  timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for r in 1 2; do
  run V-old-r$r --no-cublas --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-new3-committed.json"
  run V-new-r$r --no-cublas --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-new4.json"
  run Z-old-r$r --no-cublas --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$T/h100-new3-committed.json"
  run Z-new-r$r --no-cublas --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$T/h100-new4.json"
done
run decode --shapes $shapes --m 1,2,3,4,5,8,12,16 --load-table "$T/h100-new4.json" --svg-prefix $R/decode
run dg --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-new4.json"
tar czf "$OUT/s9run10.tar.gz" -C /tmp/res s9run10
echo "== t=$(( $(date +%s) - t0 ))s"
