#!/usr/bin/env bash
# Session 8 device call 2 (H200): config 4 (new build) forced against the shipped H200 table:
# M = 1..8 at split 1/2, M = 9..16 (MT = 16) at split 1/2/4; fp16 g128, 7 shapes, two rounds.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/h200-*.json /tmp/
[ -x /tmp/gpu/w4a16-bench ] || bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s8run2; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
for round in 1 2; do
for v in ship:none c4s1:/tmp/h200-c4s1-1-8.json c4s2:/tmp/h200-c4s2-1-8.json; do
  name=${v%%:*}-r$round; t=${v#*:}; flags=""; [ "$t" != none ] && flags="--load-table $t"
  timeout 60 ./w4a16-bench --shapes $shapes --m 1,2,3,4,8 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 $flags \
    --json "$R/A-$name.json" --md "$R/A-$name.md" > "$R/A-$name.log" 2> "$R/A-$name.err"
  echo "A $name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "WRONG|not used" "$R/A-$name.log" "$R/A-$name.err" | head -3
done
for v in ship:none s1:/tmp/h200-c4s1-9-16.json s2:/tmp/h200-c4s2-9-16.json s4:/tmp/h200-c4s4-9-16.json; do
  name=${v%%:*}-r$round; t=${v#*:}; flags=""; [ "$t" != none ] && flags="--load-table $t"
  timeout 60 ./w4a16-bench --shapes $shapes --m 9,12,16 --graph --pdl --warmup 3 --reps 20 --graph-launches 10 $flags \
    --json "$R/B-$name.json" --md "$R/B-$name.md" > "$R/B-$name.log" 2> "$R/B-$name.err"
  echo "B $name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -E "WRONG|not used" "$R/B-$name.log" "$R/B-$name.err" | head -3
done
done
tar czf "$OUT/s8run2.tar.gz" -C /tmp/res s8run2
echo "== t=$(( $(date +%s) - t0 ))s"
