#!/usr/bin/env bash
# Session 22, call 2 (H100): call 1's PC sampling again without ncu's cache flush (cache control
# none, application replay: each pass reruns the bench, whose warm-up launches of the same kernel
# with rotated weights precede the profiled one), to tell the instruction-cache misses that the
# flush causes from those of a real run. fp16 g128 M = 16: 4096x4096 (config 7) and 28672x4096
# (config 5).
set -u
OUT=${OUT:-/tmp/out}; t0=$(date +%s); REPO=$PWD
R=/tmp/res/stall-warm-h100; mkdir -p "$R"
. scripts/device-lib.sh
device_check_card h100
b=$(unpack_bench dist/h4/gpu.tar.xz /tmp/h4-bench) || exit 2
prof() {  # name shape m kernel-regex
  local name=$1 sh=$2 m=$3 re=$4
  LD_LIBRARY_PATH=$(dirname "$b") timeout 250 ncu --kernel-name-base mangled \
    --kernel-name "regex:$re" --launch-skip 20 --launch-count 1 --clock-control none \
    --cache-control none --replay-mode application \
    --section WarpStateStats --section SourceCounters \
    --metrics "regex:smsp__pcsamp_warps_issue_stalled_.*" -f -o "$R/rep-$name" \
    "$b" --shapes $sh --m $m --dtype fp16 --group 128 --no-cublas --warmup 30 --reps 2 \
    --load-table "$REPO/tables/h100.json" > "$R/ncu-$name.log" 2>&1
  echo "== $name rc=$? t=$(( $(date +%s) - t0 ))s"
  ncu -i "$R/rep-$name.ncu-rep" --page raw --csv > "$R/raw-$name.csv" 2>&1
  ncu -i "$R/rep-$name.ncu-rep" --page source --csv --print-source sass > "$R/sass-$name.csv" 2>&1
  rm -f "$R/rep-$name.ncu-rep"
}
prof c7-4096x4096-m16 4096x4096 16 "gemv_kernelI6__halfLi16ELb0ELb0ELb1ELb1ELb1E"
prof c5-28672x4096-m16 28672x4096 16 "gemv_kernelI6__halfLi16ELb0ELb0ELb1ELb0ELb0E"
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
    for h, v in sorted(st, key=lambda x: -float(x[1].replace(",", "") or 0))[:8]:
        x = float(v.replace(",", "") or 0)
        print(f"  {h.replace('smsp__pcsamp_warps_issue_stalled_', ''):40s} {x:10.0f} {100 * x / max(tot, 1):5.1f}%")
PY
tail -3 "$R"/ncu-*.log
tar cJf "$OUT/stall-warm-h100.tar.xz" -C /tmp/res stall-warm-h100
echo "== t=$(( $(date +%s) - t0 ))s"
