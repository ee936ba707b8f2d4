#!/usr/bin/env bash
# Session 8 device call 4 (H200 wanted): build with config 4 at MT = 16 (HSUB2 math, no correction
# mma). Correctness: GEMV configs, PDL chains, sanitizer memcheck + racecheck (small matrix).
# Speed: (B) M = 9,12,16 shipped vs config 4 split 1/2, two rounds; (V) the proposed H200 table
# (config 4 at M <= 8 on five shapes) vs shipped, fp16/bf16 x g128/g32 + fp16 g128 zeros,
# old/new/old/new; (S) the #5 sweep M = 32..4096, 7 shapes, --ab-rounds 2.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/h200-*.json /tmp/
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run4; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
timeout 170 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$?"
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "runs,|chains|test result|panicked|FAILED|cfg4" "$R"/tests-*.log | head -12
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 200 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
echo "== t=$(( $(date +%s) - t0 ))s"
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
run() { # name flags...
  local name=$1; shift
  timeout 100 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used" "$R/$name.log" "$R/$name.err" | head -3
}
for r in 1 2; do
  run B-ship-r$r --shapes $shapes --m 9,12,16
  run B-s1-r$r --shapes $shapes --m 9,12,16 --load-table /tmp/h200-c4s1-9-16.json
  run B-s2-r$r --shapes $shapes --m 9,12,16 --load-table /tmp/h200-c4s2-9-16.json
done
vs=4096x4096,6144x4096,4096x14336,8192x8192,8192x28672
for r in 1 2; do
  run V-old-r$r --shapes $vs --m 1,2,3,4,5,8 --dtype fp16,bf16 --group 128,32
  run V-new-r$r --shapes $vs --m 1,2,3,4,5,8 --dtype fp16,bf16 --group 128,32 --load-table /tmp/h200-cfg4-proposed.json
  run Vz-old-r$r --shapes $vs --m 1,2,4,8 --zeros
  run Vz-new-r$r --shapes $vs --m 1,2,4,8 --zeros --load-table /tmp/h200-cfg4-proposed.json
done
run S-prefill --shapes $shapes --m 32,64,128,256,1024,4096 --ab-rounds 2 --svg-prefix $R/S-prefill
tar czf "$OUT/s8run4.tar.gz" -C /tmp/res s8run4
echo "== t=$(( $(date +%s) - t0 ))s"
