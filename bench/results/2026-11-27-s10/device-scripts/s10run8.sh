#!/usr/bin/env bash
# Session 10 device call 8 (H100), the build of call 7 (configs 4/5 with zeros): the candidate H100
# table (58 zeros buckets from call 7's comparison + 18 pinned scale-only borrowers) against the
# shipped table, scale-only and with zeros, and the committed build's zeros choices (zold-emul)
# against the candidate; 7 shapes x M = 1, 2, 4, 5, 8, 12, 16 x fp16/bf16 x g128/64/32,
# interleaved twice, no cuBLAS. Then the final decode sweeps with cuBLAS (candidate table).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s10run8; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/t10; TB=$REPO/tables/h100.json
run() { # name flags...
  local name=$1; shift
  timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 ${NC---no-cublas} "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
P="--shapes $shapes --m 1,2,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32"
for r in 1 2; do
  run S-old-r$r $P --load-table $TB
  run S-new-r$r $P --load-table $T/zcand2.json
  run Z-old-r$r $P --zeros --load-table $T/zold-emul.json
  run Z-new-r$r $P --zeros --load-table $T/zcand2.json
done
tar czf "$OUT/s10run8.tar.gz" -C /tmp/res s10run8
NC= run decode --shapes $shapes --m 1,2,3,4,5,8,12,16 --load-table $T/zcand2.json --svg-prefix $R/decode
NC= run decode-zeros --shapes $shapes --m 1,2,4,8,16 --zeros --load-table $T/zcand2.json
NC= run dg --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32 --load-table $T/zcand2.json
tar czf "$OUT/s10run8.tar.gz" -C /tmp/res s10run8
echo "== t=$(( $(date +%s) - t0 ))s"
