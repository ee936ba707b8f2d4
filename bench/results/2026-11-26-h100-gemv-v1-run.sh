#!/usr/bin/env bash
# GEMV v1 device run: GPU tests, then the decode benchmark (fp16 g128, bf16 g128, fp16 g32), then
# config comparisons. Usage: run-gemv.sh [quick]
set -u
cd "$(dirname "$0")"
CUBLAS=$(python3 -c 'import nvidia.cublas,os;print(os.path.join(list(nvidia.cublas.__path__)[0],"lib"))' 2>/dev/null)
export LD_LIBRARY_PATH=$PWD:$CUBLAS
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
if [ "${TESTS:-1}" = 1 ]; then
  timeout 150 ./test-gpu --include-ignored --test-threads=1 --nocapture > $OUT/err.txt 2>&1; echo "tests rc=$?"
  grep -E "^== |worst|FAIL|test result|panicked" $OUT/err.txt | head -40
fi
S=${SHAPES:-8192x8192,28672x8192,8192x28672,28672x4096,4096x14336,4096x4096,6144x4096}
B="./w4a16-bench --graph --m ${MS:-1,2,4,8,16} --shapes $S"
$B --json $OUT/fp16-g128.json --md $OUT/fp16-g128.md 2>>$OUT/err.txt | tail -1
$B --dtype bf16 --json $OUT/bf16-g128.json --md $OUT/bf16-g128.md 2>>$OUT/err.txt | tail -1
$B --group 32 --json $OUT/fp16-g32.json --md $OUT/fp16-g32.md 2>>$OUT/err.txt | tail -1
for c in ${CMP:-}; do
  W4A16_GEMV_CONFIG=$c ./w4a16-bench --graph --m 1,2,4 --shapes $S --no-cublas --md $OUT/cmp-$c.md 2>>$OUT/err.txt | tail -1
done
for f in $OUT/*.md; do echo "## $(basename $f)"; grep '^| [0-9]' $f | awk -F'|' '{gsub(/ /,"",$0); print $2,$3,$6,$7,$10,$11,$12,$13,$16}'; done
