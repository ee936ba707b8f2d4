#!/usr/bin/env bash
# Session 16 call 4 (H100): is the decode GEMV at M = 8-16 bound by what each SM takes in from L2?
# Each warp step reads 2 KB of weights (32 rows x 128 k) and M x 256 B of activations (from L2,
# cp.async into the warp's ring): at M = 16 twice the weight bytes. ncu (clocks free, cold caches,
# one launch after 3), fp16 g128: XBAR->L1 bytes and their % of peak, L2 and DRAM throughput.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
R=/tmp/res/ncu-ingest; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
mkdir -p /tmp/b && tar xJf ${BUNDLE:-dist/bundle/gpu.tar.xz} -C /tmp/b gpu/w4a16-bench gpu/BUILD-INFO || exit 2
cat /tmp/b/gpu/BUILD-INFO
metrics=gpu__time_duration.sum,dram__bytes_read.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,lts__t_bytes.sum,lts__throughput.avg.pct_of_peak_sustained_elapsed,lts__t_sectors_srcunit_tex_op_read.sum,l1tex__m_xbar2l1tex_read_bytes.sum,l1tex__m_xbar2l1tex_read_bytes.sum.pct_of_peak_sustained_elapsed,l1tex__m_xbar2l1tex_read_bytes.sum.per_second,l1tex__throughput.avg.pct_of_peak_sustained_elapsed,sm__cycles_active.avg,gpc__cycles_elapsed.max,smsp__cycles_active.avg
for spec in 4096x14336:1:4 4096x14336:8:4 4096x14336:16:4 8192x28672:1:4 8192x28672:16:4 28672x4096:16:5 4096x4096:16:7; do
  IFS=: read -r shape m cfg <<< "$spec"; n=$shape-m$m-c$cfg
  W4A16_GEMV_CONFIG=$cfg:1 timeout 100 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${m}ELb0ELb0ELb1E" \
    --launch-skip 3 --launch-count 1 --clock-control none --cache-control all --metrics $metrics \
    --csv --page raw /tmp/b/gpu/w4a16-bench --shapes $shape --m $m --dtype fp16 --group 128 --no-cublas --warmup 4 --reps 2 > "$R/$n.csv" 2> "$R/$n.err"
  echo "$n rc=$? t=$(( $(date +%s) - t0 ))s"
done
python3 - "$R" <<'PY' | tee "$R/summary.txt"
import csv, glob, os, sys
keys = ["gpu__time_duration.sum", "dram__bytes_read.sum", "dram__throughput.avg.pct_of_peak_sustained_elapsed",
        "lts__t_bytes.sum", "lts__throughput.avg.pct_of_peak_sustained_elapsed",
        "l1tex__m_xbar2l1tex_read_bytes.sum", "l1tex__m_xbar2l1tex_read_bytes.sum.pct_of_peak_sustained_elapsed",
        "l1tex__m_xbar2l1tex_read_bytes.sum.per_second", "l1tex__throughput.avg.pct_of_peak_sustained_elapsed"]
short = ["us", "dramB", "dram%", "ltsB", "lts%", "xbarB", "xbar%", "xbar/s", "l1%"]
print("run", *short)
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.csv"))):
    rows = [r for r in csv.reader(open(f)) if len(r) > 5]
    if len(rows) < 3: print(os.path.basename(f), "no data"); continue
    head, units, vals = rows[0], rows[1], rows[2]
    out = []
    for k in keys:
        i = head.index(k) if k in head else -1
        out.append(f"{vals[i]}{units[i]}" if i >= 0 else "-")
    print(os.path.basename(f)[:-4], *out)
PY
tar czf "$OUT/ncu-ingest.tar.gz" -C /tmp/res ncu-ingest
echo "== t=$(( $(date +%s) - t0 ))s"
