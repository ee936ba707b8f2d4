#!/usr/bin/env bash
# Session 15 call 6 (H100): where the mma variant's warps stall, per SASS instruction, on HEAD's
# kernels (dist/bundle = f9f7211's kernels). Lead from the SASS: every weight LDG of the k loop
# writes one scoreboard (SB5), and once per 3-step unrolled iteration a consumer of the current
# step's weights waits on it (wait mask), i.e. also for the loads issued a moment before for step
# s + 2 (group 128: at position 0, right after issuing them). ncu stall sampling (SourceCounters),
# config 4 split 1 forced, fp16 g128, one launch after three, caches not flushed, clocks free.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD
R=/tmp/res/ncu-drain; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
mkdir -p /tmp/b && tar xJf dist/bundle/gpu.tar.xz -C /tmp/b gpu/w4a16-bench || exit 2
for pt in 4096x4096:2:2 4096x14336:2:2 4096x14336:8:8 4096x14336:16:16; do
  IFS=: read sh m mt <<< "$pt"
  n=$sh-m$m
  W4A16_GEMV_CONFIG=4:1 timeout 120 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${mt}ELb0ELb0ELb1E" --launch-skip 3 --launch-count 1 \
    --clock-control none --cache-control none --section WarpStateStats --section SourceCounters \
    -o "$R/$n" -f /tmp/b/gpu/w4a16-bench --shapes $sh --m $m --dtype fp16 --group 128 --no-cublas --warmup 4 --reps 2 > "$R/$n.log" 2>&1
  echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
  ncu --import "$R/$n.ncu-rep" --page source --csv --print-source sass > "$R/$n-sass.csv" 2>&1
  ls -la "$R/$n-sass.csv"
  rm -f "$R/$n.ncu-rep"
done
tar czf "$OUT/ncu-drain.tar.gz" -C /tmp/res ncu-drain
echo "== t=$(( $(date +%s) - t0 ))s"
