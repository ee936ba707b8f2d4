#!/usr/bin/env bash
# Session 11 call 5 (H100): correctness of gemv.v2.11 (bundle D): the whole GPU test suite
# (run-gpu-tests.sh: every test binary, the GEMV-configuration matrix with configs 4/5 forced, the
# C programs), the PDL chains, and memcheck + racecheck over the small sanitizer matrix with PDL.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
export LD_LIBRARY_PATH="$B"
R=/tmp/res/s11run5; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
timeout 400 bash ./run-gpu-tests.sh > "$R/run-gpu-tests.log" 2>&1; echo "run-gpu-tests rc=$? t=$(( $(date +%s) - t0 ))s"
tail -22 "$R/run-gpu-tests.log"
grep -hE "runs,|test result: FAILED|panicked" "$R/run-gpu-tests.log" | head -20
tar czf "$OUT/s11run5.tar.gz" -C /tmp/res s11run5
W4A16_PDL=1 SANITIZE_TOOLS="memcheck racecheck" SANITIZE_TARGETS="test-reliability_gpu:sanitize_matrix_small" \
  OUT="$R/sanitize" timeout 150 bash "$REPO/scripts/sanitize-gpu.sh" "$B" > "$R/sanitize.log" 2>&1; echo "sanitize rc=$? t=$(( $(date +%s) - t0 ))s"
grep -E "^\| (memcheck|racecheck)" "$R/sanitize.log"
tar czf "$OUT/s11run5.tar.gz" -C /tmp/res s11run5
echo "== t=$(( $(date +%s) - t0 ))s"
