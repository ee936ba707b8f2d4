#!/usr/bin/env bash
# Runs the GPU test suite from a bundle made by `make gpu-bundle` (no Rust needed). Prints a
# summary last; exits non-zero if anything failed.
#
#   run-gpu-tests.sh                 every test-* binary except test-multi_gpu, then the C programs
#   run-gpu-tests.sh --only NAME     only test-NAME (repeatable; e.g. --only reliability_gpu)
#   run-gpu-tests.sh --multi-gpu     only test-multi_gpu; needs >= 2 GPUs (nvidia-h100-x2), and
#                                    says NOT RUN and exits 2 with fewer
#
# Every binary runs with --include-ignored --test-threads=1 --nocapture (the GPU tests are
# #[ignore]d so that a GPU-less `cargo test` lists them as ignored, never as passed).
set -uo pipefail
cd "$(dirname "$0")"
export LD_LIBRARY_PATH="$PWD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# We use no NCCL, but keep NVLink multicast off as the lent multi-GPU machines require.
export NCCL_NVLS_ENABLE=0

mode=all
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --multi-gpu) mode=multi ;;
    --only) shift; only+=("test-${1#test-}") ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
echo "GPUs visible: ${gpus:-0}"

fail=0
summary=()
run_bin() {
  local t=$1
  echo "=== $t"
  if ./"$t" --include-ignored --test-threads=1 --nocapture; then summary+=("PASS $t"); else summary+=("FAIL $t"); fail=1; fi
}

if [ "$mode" = multi ]; then
  if [ "${gpus:-0}" -lt 2 ]; then
    echo "=================================================================="
    echo "MULTI-GPU TESTS NOT RUN: ${gpus:-0} GPU(s) visible, 2 needed."
    echo "Run this on a 2-GPU machine (nvidia-h100-x2)."
    echo "=================================================================="
    exit 2
  fi
  run_bin test-multi_gpu
else
  if [ ${#only[@]} -gt 0 ]; then bins=("${only[@]}"); else bins=(test-*); fi
  for t in "${bins[@]}"; do
    [ -x "$t" ] || { summary+=("FAIL $t (not in the bundle)"); fail=1; continue; }
    if [ "$t" = test-multi_gpu ]; then
      summary+=("NOT RUN test-multi_gpu (needs 2 GPUs: run-gpu-tests.sh --multi-gpu)")
      continue
    fi
    run_bin "$t"
  done
  if [ ${#only[@]} -eq 0 ]; then
    echo "=== C example"
    if ./example; then summary+=("PASS example"); else summary+=("FAIL example"); fail=1; fi
    echo "=== C seed test program"
    if ./w4a16_gemv_test 32 1024 1024; then summary+=("PASS w4a16_gemv_test"); else summary+=("FAIL w4a16_gemv_test"); fail=1; fi
    echo "=== C++ server-style example"
    if ./server_mlp; then summary+=("PASS server_mlp"); else summary+=("FAIL server_mlp"); fail=1; fi
  fi
fi
echo "=== summary"
printf '%s\n' "${summary[@]}"
exit $fail
