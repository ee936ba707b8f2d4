#!/usr/bin/env bash
# Session 8 device call (H100): (R) session 7's build vs this build, shipped H100 table, decode
# M = 1..8 (the config-4 kernel's activation copy and cross-warp sums changed): old/new/old/new.
# (Z) problems with zeros: shipped table vs + fp16 g128 zeros entries carrying the pre-config-4
# choices. (T) config 4 at M = 9..16 (MT = 16) forced vs shipped. Two rounds each.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
cp dist/exp/tables8/h100-*.json /tmp/
mkdir -p /tmp/oldb/dist/bundle /tmp/oldb/scripts && cp dist/bundle-s7/gpu.tar.xz /tmp/oldb/dist/bundle/ && cp scripts/unpack-bundle.sh scripts/untar.py /tmp/oldb/scripts/
bash /tmp/oldb/scripts/unpack-bundle.sh || exit 2
rm -rf /tmp/gpu-old; mv /tmp/gpu /tmp/gpu-old
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
R=/tmp/res/s8run7; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$R/gpu.txt"
run() { # dir name flags...
  local D=$1 name=$2; shift 2
  ( cd $D && LD_LIBRARY_PATH="$D${CUBLAS:+:$CUBLAS}" timeout 150 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err" )
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
zs=4096x4096,6144x4096,4096x14336,8192x8192,8192x28672
for r in 1 2; do
  run /tmp/gpu-old R-old-r$r --shapes $shapes --m 1,2,3,4,8 --dtype fp16,bf16 --group 128,32 --no-cublas
  run /tmp/gpu R-new-r$r --shapes $shapes --m 1,2,3,4,8 --dtype fp16,bf16 --group 128,32 --no-cublas
  run /tmp/gpu Z-old-r$r --shapes $zs --m 1,2,3,4,5,8 --zeros --dtype fp16,bf16 --no-cublas
  run /tmp/gpu Z-new-r$r --shapes $zs --m 1,2,3,4,5,8 --zeros --dtype fp16,bf16 --no-cublas --load-table /tmp/h100-zeros-cand.json
  run /tmp/gpu T-old-r$r --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,32 --no-cublas
  run /tmp/gpu T-new-r$r --shapes $shapes --m 9,12,16 --dtype fp16,bf16 --group 128,32 --no-cublas --load-table /tmp/h100-c4s1-9-16.json
done
run /tmp/gpu D-final --shapes $shapes --m 1,2,3,4,8,12,16 --svg-prefix $R/D-final
tar czf "$OUT/s8run7.tar.gz" -C /tmp/res s8run7
echo "== t=$(( $(date +%s) - t0 ))s"
