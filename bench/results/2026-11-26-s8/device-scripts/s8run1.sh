#!/usr/bin/env bash
# Session 8 device call 1: config 4 with biased dequantization + a correction mma, and MT = 16
# (M = 9..16). Correctness: GEMV-configuration tests, PDL chains, sanitizer (memcheck + racecheck)
# over sanitize_matrix_small. Speed: (A) old build (session 7 final) vs new, shipped table,
# M = 1,2,4,8, old/new/old/new; (B) new build at M = 9,12,16: shipped vs config 4 split 1/2/4.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/*.json /tmp/
mkdir -p /tmp/oldb/dist/bundle /tmp/oldb/scripts && cp dist/bundle-s7/gpu.tar.xz /tmp/oldb/dist/bundle/ && cp scripts/unpack-bundle.sh scripts/untar.py /tmp/oldb/scripts/
bash /tmp/oldb/scripts/unpack-bundle.sh || exit 2
mv /tmp/gpu /tmp/gpu-old
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
R=/tmp/res/s8run1; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
timeout 170 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs > "$R/tests-gemv.log" 2>&1; echo "gemv configs rc=$?"
timeout 100 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ > "$R/tests-pdl.log" 2>&1; echo "pdl chains rc=$?"
grep -hE "runs,|chains|test result|panicked|FAILED|max err|cfg4" "$R"/tests-*.log | head -30
echo "== t=$(( $(date +%s) - t0 ))s"
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for v in old new old2 new2; do
  if [ "${v#old}" != "$v" ]; then D=/tmp/gpu-old; else D=/tmp/gpu; fi
  ( cd $D && LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 100 ./w4a16-bench --shapes $shapes --m 1,2,4,8 --dtype fp16,bf16 --group 128,32 --graph --pdl \
    --warmup 3 --reps 20 --graph-launches 10 --json "$R/A-$v.json" --md "$R/A-$v.md" > "$R/A-$v.log" 2> "$R/A-$v.err" )
  echo "A $v rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "WRONG" "$R/A-$v.log" | head -3
done
for v in ship:none s1:/tmp/cfg4s1.json s2:/tmp/cfg4s2.json s4:/tmp/cfg4s4.json ship2:none s1b:/tmp/cfg4s1.json s2b:/tmp/cfg4s2.json; do
  name=${v%%:*}; t=${v#*:}; flags=""; [ "$t" != none ] && flags="--load-table $t"
  timeout 60 ./w4a16-bench --shapes $shapes --m 9,12,16 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 $flags \
    --json "$R/B-$name.json" --md "$R/B-$name.md" > "$R/B-$name.log" 2> "$R/B-$name.err"
  echo "B $name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "WRONG" "$R/B-$name.log" | head -3
done
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 200 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$?"
grep -E " -> |\| " "$R/sanitize.log" | tail -6
tar czf "$OUT/s8run1.tar.gz" -C /tmp/res s8run1
echo "== t=$(( $(date +%s) - t0 ))s"
