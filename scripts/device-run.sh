#!/usr/bin/env bash
# Runs on the lent GPU machine over a bundle from `make gpu-bundle` (carried as dist/gpu):
# the GPU test suite, compute-sanitizer on a reduced matrix, then the benchmark. Logs under $OUT.
# Usage: scripts/device-run.sh [tests|bench|all] [extra bench args...]
set -uo pipefail
what=${1:-all}; shift || true
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
# The bundle travels compressed (make gpu-bundle → dist/bundle/gpu.tar.gz, carried as dist/bundle).
if [ -f dist/bundle/gpu.tar.gz ]; then tar xzf dist/bundle/gpu.tar.gz -C /tmp && B=/tmp/gpu; else B=dist/gpu; fi
export LD_LIBRARY_PATH="$B${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# cuBLAS for the baseline lives in the torch environment's nvidia wheels.
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
[ -n "$CUBLAS" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$CUBLAS"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee "$OUT/gpu.txt"
rc=0
if [[ $what == tests || $what == all ]]; then
  (cd $B && ./run-gpu-tests.sh) > "$OUT/gpu-tests.log" 2>&1 || rc=1
  grep -E "^== |worst rel|FAIL|PASS|test result|panicked" "$OUT/gpu-tests.log" | head -80
fi
if [[ $what == bench || $what == all ]]; then
  $B/w4a16-bench --json "$OUT/bench.json" --md "$OUT/bench.md" --svg-prefix "$OUT/bench" "$@" \
    > "$OUT/bench.log" 2>"$OUT/bench.err" || rc=1
  tail -5 "$OUT/bench.err"; cat "$OUT/bench.log" | tail -100
fi
exit $rc
