#!/usr/bin/env bash
# Runs the GPU test suite from a bundle made by `make gpu-bundle` (no Rust needed). Prints a
# summary last; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")"
export LD_LIBRARY_PATH="$PWD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fail=0
summary=()
for t in test-*; do
  echo "=== $t"
  if ./"$t" --include-ignored --test-threads=1 --nocapture; then summary+=("PASS $t"); else summary+=("FAIL $t"); fail=1; fi
done
echo "=== C example"
if ./example; then summary+=("PASS example"); else summary+=("FAIL example"); fail=1; fi
echo "=== C seed test program"
if ./w4a16_gemv_test 32 1024 1024; then summary+=("PASS w4a16_gemv_test"); else summary+=("FAIL w4a16_gemv_test"); fail=1; fi
echo "=== summary"
printf '%s\n' "${summary[@]}"
exit $fail
