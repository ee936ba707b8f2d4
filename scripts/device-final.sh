#!/usr/bin/env bash
# One device call's worth of verification and measurement over the compressed bundle
# (make gpu-bundle → dist/bundle/gpu.tar.xz, ~15 MB: carry dist/bundle). Logs and results go to $OUT.
#   scripts/device-final.sh tests          the GPU test suite + C programs + sanitizer
#   scripts/device-final.sh bench TAG      tuned sweep of the ANCHORS shapes with the oracle,
#                                          cuBLAS fp16 beside; TAG names the output files
#   scripts/device-final.sh multi          the 2-GPU tests
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
bash "$(dirname "$0")/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
rc=0
case "${1:-tests}" in
  tests)
    timeout 330 ./run-gpu-tests.sh > "$OUT/gpu-tests.log" 2>&1 || rc=1
    grep -E "runs,|^(PASS|FAIL|NOT RUN)|panicked|SUMMARY|^== " "$OUT/gpu-tests.log" | head -60
    OUT="$OUT/san" timeout 240 ./sanitize-gpu.sh "$B" > "$OUT/sanitize.log" 2>&1 || rc=1
    tail -6 "$OUT/sanitize.log" ;;
  bench)
    tag=${2:-run}
    ms=1,2,4,8,16,24,32,48,64,96,128,192,256,512,1024,2048,4096
    for part in small large; do
      if [ $part = small ]; then shapes=4096x4096,6144x4096,4096x14336,8192x8192; else shapes=28672x4096,28672x8192,8192x28672; fi
      timeout 270 ./w4a16-bench --shapes $shapes --m $ms --tune --oracle --warmup 3 --reps 15 \
        --save-table "$OUT/$tag-$part-table.json" --json "$OUT/$tag-$part.json" --md "$OUT/$tag-$part.md" \
        --svg-prefix "$OUT/$tag-$part" > "$OUT/$tag-$part.log" 2> "$OUT/$tag-$part.err" || rc=1
      grep -E "copy bandwidth|host time|empty kernel" "$OUT/$tag-$part.err" | head -4
      tail -3 "$OUT/$tag-$part.err"
    done ;;
  multi)
    timeout 200 ./run-gpu-tests.sh --multi-gpu > "$OUT/multi.log" 2>&1 || rc=1
    grep -E "^== |PASS|FAIL|NOT RUN|panicked|test result" "$OUT/multi.log" | head -30 ;;
esac
exit $rc
