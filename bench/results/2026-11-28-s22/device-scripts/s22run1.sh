#!/usr/bin/env bash
# Session 22, call 1 (H100): where the M = 16 kernels stall. ncu with PC sampling (warp state
# statistics, source counters: stall reasons per SASS instruction) of the kept build's (h4) fp16
# g128 kernels, one launch each after warm-up, tables/h100.json: 28672x4096 M = 16 (config 5) and
# M = 8 (config 5, 93% of the floor, for contrast), 4096x14336 and 4096x4096 M = 16 (config 7, deep).
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/stall-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
b=$(unpack_bench dist/h4/gpu.tar.xz /tmp/h4-bench) || exit 2
ncu --version | tail -1
prof() {  # name shape m kernel-regex
  local name=$1 sh=$2 m=$3 re=$4
  LD_LIBRARY_PATH=$(dirname "$b") timeout 150 ncu --kernel-name-base mangled \
    --kernel-name "regex:$re" --launch-skip 3 --launch-count 1 --clock-control none \
    --section SpeedOfLight --section SchedulerStats --section WarpStateStats \
    --section SourceCounters --section InstructionStats \
    --metrics "regex:smsp__pcsamp_warps_issue_stalled_.*" -f -o "$R/rep-$name" \
    "$b" --shapes $sh --m $m --dtype fp16 --group 128 --no-cublas --warmup 4 --reps 2 \
    --load-table "$REPO/tables/h100.json" > "$R/ncu-$name.log" 2>&1
  echo "== $name rc=$? t=$(( $(date +%s) - t0 ))s"
  ncu -i "$R/rep-$name.ncu-rep" --page details --print-details all > "$R/details-$name.txt" 2>&1
  ncu -i "$R/rep-$name.ncu-rep" --page raw --csv > "$R/raw-$name.csv" 2>&1
  ncu -i "$R/rep-$name.ncu-rep" --page source --csv --print-source sass > "$R/sass-$name.csv" 2>&1
  echo "   sass rows $(wc -l < "$R/sass-$name.csv")"
  grep -E "Duration|No Eligible|Eligible Warps|Warp Cycles Per Issued" "$R/details-$name.txt" | head -5
  tr ',' '\n' < "$R/raw-$name.csv" | head -0
}
prof c5-28672x4096-m16 28672x4096 16 "gemv_kernelI6__halfLi16ELb0ELb0ELb1ELb0ELb0E"
prof c5-28672x4096-m8 28672x4096 8 "gemv_kernelI6__halfLi8ELb0ELb0ELb1ELb0ELb0E"
prof c7-4096x14336-m16 4096x14336 16 "gemv_kernelI6__halfLi16ELb0ELb0ELb1ELb1ELb1E"
prof c7-4096x4096-m16 4096x4096 16 "gemv_kernelI6__halfLi16ELb0ELb0ELb1ELb1ELb1E"
python3 - "$R" <<'PY'
import csv, glob, os, sys
R = sys.argv[1]
for f in sorted(glob.glob(os.path.join(R, "raw-*.csv"))):
    rows = list(csv.reader(open(f)))
    if len(rows) < 3: print(f, "no rows"); continue
    hdr, vals = rows[0], rows[2]
    st = [(h, v) for h, v in zip(hdr, vals) if "pcsamp_warps_issue_stalled" in h and not h.endswith("_not_issued")]
    tot = sum(float(v.replace(",", "") or 0) for h, v in st)
    print("==", os.path.basename(f), "samples", tot)
    for h, v in sorted(st, key=lambda x: -float(x[1].replace(",", "") or 0))[:12]:
        x = float(v.replace(",", "") or 0)
        print(f"  {h.replace('smsp__pcsamp_warps_issue_stalled_', ''):40s} {x:10.0f} {100 * x / max(tot, 1):5.1f}%")
PY
tar czf "$OUT/stall-h100.tar.gz" -C /tmp/res stall-h100
echo "== t=$(( $(date +%s) - t0 ))s"
