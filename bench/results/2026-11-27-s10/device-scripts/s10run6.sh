#!/usr/bin/env bash
# Session 10 device call 6 (H200 only: exits on any other card), the committed build: the graph
# oracle of call 5 over the H200 table (7 shapes x M = 1, 2, 4, 8, 16 x fp16/bf16 g128, fp16 g64,
# fp16/bf16 g32), edits confirmed by dispatched rows old/new twice, borrowers pinned, the candidate
# against the shipped H200 table on the edited shapes (with and without zeros) twice; then the
# decode sweep with cuBLAS on the candidate table.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s)
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/s10run6; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H200 "$R/gpu.txt" || { echo "not an H200"; exit 3; }
S=$REPO/scripts; TB=$REPO/tables/h200.json
bench() { # name flags...
  local name=$1; shift
  timeout 300 ./w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 ${NC---no-cublas} "$@" \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
MS=1,2,4,8,16
bench O1 --oracle --shapes $shapes --m $MS --dtype fp16,bf16 --group 128 --load-table $TB
tar czf "$OUT/s10run6.tar.gz" -C /tmp/res s10run6
bench O2 --oracle --shapes $shapes --m $MS --dtype fp16 --group 64 --load-table $TB
bench O3 --oracle --shapes $shapes --m $MS --dtype fp16,bf16 --group 32 --load-table $TB
tar czf "$OUT/s10run6.tar.gz" -C /tmp/res s10run6
python3 $S/oracle-to-table.py $TB $R/O1.err $R/O2.err $R/O3.err --out $R/cand1.json > $R/oracle-edits.txt 2>&1; cat $R/oracle-edits.txt | tail -40
pts() { # name table
  bench $1-a --shapes $shapes --m $MS --dtype fp16,bf16 --group 128,32 --load-table $2
  bench $1-b --shapes $shapes --m $MS --dtype fp16 --group 64 --load-table $2
}
for r in 1 2; do pts B$r $TB; pts A$r $R/cand1.json; done
python3 - "$R" <<'PY'
import json, sys, glob
R = sys.argv[1]
def merge(prefix, pick, out):
    rows = {}
    meta = None
    for f in sorted(glob.glob(f"{R}/{prefix}[12]-?.json")):
        d = json.load(open(f)); meta = meta or d
        for r in d["rows"]:
            k = (r["N"], r["K"], r["M"], r["dtype"], r["group"], r["zeros"])
            if r.get("us") is None: continue
            if k not in rows or pick(r["us"], rows[k]["us"]): rows[k] = r
    meta = dict(meta); meta["rows"] = list(rows.values()); json.dump(meta, open(out, "w"), indent=1)
merge("B", lambda a, b: a < b, f"{R}/before-min.json")
merge("A", lambda a, b: a > b, f"{R}/after-max.json")
PY
python3 $S/keep-validated-edits.py $TB $R/cand1.json $R/before-min.json $R/after-max.json --out $R/cand2.json > $R/keep.txt 2>&1; cat $R/keep.txt | tail -20
python3 $S/pin-borrowers.py $TB $R/cand2.json --out $R/cand3.json > $R/pin.txt 2>&1; tail -20 $R/pin.txt
tar czf "$OUT/s10run6.tar.gz" -C /tmp/res s10run6
eshapes=$(python3 - "$TB" "$R/cand3.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["entries"] for p in sys.argv[1:3])
key = lambda e: (e["dtype"], e["n"], e["k"], e["group"], e["zeros"], e["m_min"], e["m_max"])
ch = lambda e: (e["path"], e["config"], e["split_k"])
old = {key(e): ch(e) for e in a}
s = sorted({(e["n"], e["k"]) for e in b if old.get(key(e)) != ch(e)})
print(",".join(f"{n}x{k}" for n, k in s))
PY
)
echo "edited shapes: ${eshapes:-none}"
if [ -n "$eshapes" ]; then
  for r in 1 2; do
    bench V-old-r$r --shapes $eshapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table $TB
    bench V-new-r$r --shapes $eshapes --m 1,2,3,4,5,8,12,16 --dtype fp16,bf16 --group 128,64,32 --load-table $R/cand3.json
    bench Z-old-r$r --shapes $eshapes --m 1,2,4,8,16 --dtype fp16,bf16 --group 128,32 --zeros --load-table $TB
    bench Z-new-r$r --shapes $eshapes --m 1,2,4,8,16 --dtype fp16,bf16 --group 128,32 --zeros --load-table $R/cand3.json
  done
fi
NC= bench decode --shapes $shapes --m 1,2,4,8,16 --load-table $R/cand3.json --svg-prefix $R/decode
tar czf "$OUT/s10run6.tar.gz" -C /tmp/res s10run6
echo "== t=$(( $(date +%s) - t0 ))s"
