#!/usr/bin/env bash
# Session 10 device call 3 (H100), the final build (gemv.v2.9: group 32 at MT = 16 scales the
# weights before the mma; cp.async/ldmatrix wrappers folded into common/ptx.cuh): against the
# committed build (dist/base) with the shipped table, 7 shapes x M = 1, 4, 8, 12, 16 x fp16/bf16 x
# g128/64/32; the candidate H100 table (8192² group 32 M = 9..16 on config 4 + one pinned zeros
# borrower) against the shipped one on 8192², with and without zeros; interleaved twice, no
# cuBLAS. Then the final decode sweep with cuBLAS (candidate table), GEMV configuration tests,
# PDL chains, memcheck + racecheck over the small sanitizer matrix.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
mkdir -p /tmp/oldb/dist/bundle /tmp/oldb/scripts && cp dist/base/gpu.tar.xz /tmp/oldb/dist/bundle/ && cp scripts/unpack-bundle.sh scripts/untar.py /tmp/oldb/scripts/
bash /tmp/oldb/scripts/unpack-bundle.sh || exit 2
rm -rf /tmp/gpu-old; mv /tmp/gpu /tmp/gpu-old
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s10run3; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
T=$REPO/dist/exp/t10
run() { # dir name flags...
  local D=$1 name=$2; shift 2
  cd $D; LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; cd $B; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for r in 1 2; do
  run /tmp/gpu-old Sold-r$r --no-cublas --shapes $shapes --m 1,4,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
  run /tmp/gpu Snew-r$r --no-cublas --shapes $shapes --m 1,4,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
  run /tmp/gpu V-old-r$r --no-cublas --shapes 8192x8192 --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$REPO/tables/h100.json"
  run /tmp/gpu V-new-r$r --no-cublas --shapes 8192x8192 --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-cand.json"
  run /tmp/gpu Z-old-r$r --no-cublas --shapes 8192x8192 --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$REPO/tables/h100.json"
  run /tmp/gpu Z-new-r$r --no-cublas --shapes 8192x8192 --m 9,12,16 --dtype fp16,bf16 --group 128,64,32 --zeros --load-table "$T/h100-cand.json"
done
run /tmp/gpu decode --shapes $shapes --m 1,2,3,4,5,8,12,16 --load-table "$T/h100-cand.json" --svg-prefix $R/decode
run /tmp/gpu dg --shapes $shapes --m 1,4,8,16 --dtype fp16,bf16 --group 128,64,32 --load-table "$T/h100-cand.json"
tar czf "$OUT/s10run3.tar.gz" -C /tmp/res s10run3
timeout 240 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$? t=$(( $(date +%s) - t0 ))s"
grep -hE "runs,|test result|panicked|FAILED|FAIL " "$R"/tests-gemv.log | head -8
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "chains|test result|panicked|FAILED" "$R"/tests-pdl.log | head -4
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 150 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
tar czf "$OUT/s10run3.tar.gz" -C /tmp/res s10run3
echo "== t=$(( $(date +%s) - t0 ))s"
