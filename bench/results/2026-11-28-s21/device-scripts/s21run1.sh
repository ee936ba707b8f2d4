#!/usr/bin/env bash
# Session 21, call 1 (H100): wave-quantization probe. HEAD's bundle, configs 5 and 4 forced at
# split 1, N x 4096 for N = 14080 / 16896 / 22528 / 28672 / 31680 / 33792 (config 5 = 440 / 528 /
# 704 / 896 / 990 / 1056 CTAs of 32 rows against 528 resident at 4 per SM), M = 8 and 16, fp16 g128,
# each twice. If time grows in steps of whole waves at M = 16, the 28672-row shapes lose to the last
# partial wave.
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/wave-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
base=$(unpack_bench dist/head/gpu.tar.xz /tmp/head-bench) || exit 2
export SHAPES=14080x4096,16896x4096,22528x4096,28672x4096,31680x4096,33792x4096
export MS=8,16 DTYPES=fp16 GROUP_SIZES=128
for r in 1 2; do
  for cfg in 5 4; do
    W4A16_GEMV_CONFIG=$cfg:1 bench_run "cfg$cfg-r$r" "$base" tables/h100.json $(decode_flags S)
  done
  bench_run "table-r$r" "$base" tables/h100.json $(decode_flags S)
done
python3 - "$R" <<'PY' | tee "$R/summary.txt"
import json, sys, glob, os, collections
R = sys.argv[1]
best = collections.defaultdict(lambda: 1e9)
cfgname = {}
for f in sorted(glob.glob(os.path.join(R, "*.json"))):
    tag = os.path.basename(f).rsplit("-r", 1)[0]
    d = json.load(open(f))
    rows = d["rows"]
    for x in rows:
        key = (tag, x["N"], x["K"], x["M"])
        if x["us"] < best[key]:
            best[key] = x["us"]; cfgname[key] = (x["config"], round(x["frac_floor"], 3))
print("tag N K M us us_per_1000rows (config, frac_floor)")
for key in sorted(best):
    tag, n, k, m = key
    print(tag, n, k, m, round(best[key], 2), round(1000 * best[key] / n, 4), cfgname[key])
PY
tar czf "$OUT/wave-h100.tar.gz" -C /tmp/res wave-h100
echo "== t=$(( $(date +%s) - t0 ))s"
