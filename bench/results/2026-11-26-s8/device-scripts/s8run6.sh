#!/usr/bin/env bash
# Session 8 device call 6 (H200): the build with the new H200 table. Whole GPU test suite + C
# programs, compute-sanitizer (default targets, 4 tools, PDL on), then the H200 sweep of #4/#5:
# decode fp16 g128 M = 1..16; fp16/bf16 x g128/64/32 at M = 1, 4, 8; prefill M = 32..4096 with
# ours and cuBLAS alternated (--ab-rounds 2). CUDA graph, PDL, cuBLAS beside.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run6; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
timeout 300 ./run-gpu-tests.sh > "$R/gpu-tests.log" 2>&1; echo "gpu tests rc=$? t=$(( $(date +%s) - t0 ))s"
grep -E "runs,|chains|^(PASS|FAIL|NOT RUN)|panicked|SUMMARY" "$R/gpu-tests.log" | head -40
W4A16_PDL=1 OUT="$R/sanitize" timeout 200 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s"
grep -E "^\| (memcheck|racecheck|initcheck|synccheck)" "$R/sanitize.log"
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
timeout 60 ./w4a16-bench --shapes $shapes --m 1,2,3,4,8,12,16 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 \
  --json $R/decode.json --md $R/decode.md --svg-prefix $R/decode > $R/decode.log 2> $R/decode.err; echo "decode rc=$?"
timeout 90 ./w4a16-bench --shapes $shapes --m 1,4,8 --dtype fp16,bf16 --group 128,64,32 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 \
  --json $R/dg.json --md $R/dg.md > $R/dg.log 2> $R/dg.err; echo "dtype/group rc=$? t=$(( $(date +%s) - t0 ))s"
timeout 150 ./w4a16-bench --shapes $shapes --m 32,64,128,256,1024,4096 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --ab-rounds 2 \
  --json $R/prefill.json --md $R/prefill.md --svg-prefix $R/prefill > $R/prefill.log 2> $R/prefill.err; echo "prefill rc=$? t=$(( $(date +%s) - t0 ))s"
grep -hE "WRONG" $R/*.log | head -3
tar czf "$OUT/s8run6.tar.gz" -C /tmp/res s8run6
echo "== t=$(( $(date +%s) - t0 ))s"
