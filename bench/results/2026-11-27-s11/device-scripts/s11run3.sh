#!/usr/bin/env bash
# Session 11 call 3 (H100): candidate C (B + the mma variant copies activations two steps ahead,
# three ring slots, compile-time slot; MT = 1 keeps the committed copy) against the committed build (old = a5ab7dc),
# shipped table, interleaved twice; C with config 4 / 5 forced; ncu instruction counts at 8192^2.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
t0=$(date +%s); REPO=$PWD; X=$REPO/dist/exp/s11
R=/tmp/res/s11run3; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
grep -q H100 "$R/gpu.txt" || { echo "not an H100"; exit 3; }
mkdir -p /tmp/ab && tar xJf "$REPO/dist/ab/ab.tar.xz" -C /tmp/ab || exit 2
TB=$REPO/tables/h100.json
run() { # name variant table flags...
  local name=$1 v=$2 tb=$3; shift 3
  timeout 200 /tmp/ab/$v/w4a16-bench --graph --pdl --warmup 3 --reps 20 --graph-launches 10 --no-cublas "$@" \
    --load-table $tb --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"; grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
S="--shapes $shapes --m 1,2,3,4,5,6,8,12,16 --dtype fp16,bf16 --group 128,64,32"
Z="--shapes $shapes --m 1,2,4,8,12,16 --dtype fp16,bf16 --group 128,32 --zeros"
for r in 1 2; do
  for v in old C; do run S-$v-r$r $v $TB $S; done
  for v in old C; do run Z-$v-r$r $v $TB $Z; done
  run F4-C-r$r C $X/t/f4.json $S
  run F5-C-r$r C $X/t/f5.json $S
done
tar czf "$OUT/s11run3.tar.gz" -C /tmp/res s11run3
M="smsp__inst_executed.sum,gpu__time_duration.sum,smsp__issue_active.avg.pct_of_peak_sustained_active"
for pt in 8192x8192:1:1 8192x8192:8:8 8192x8192:16:16; do for v in old C; do
  IFS=: read sh m mt <<< "$pt"
  timeout 60 ncu --kernel-name-base mangled --kernel-name "regex:gemv_kernelI6__halfLi${mt}ELb0ELb0ELb1E" --launch-skip 3 --launch-count 1 \
    --metrics "$M" /tmp/ab/$v/w4a16-bench --shapes $sh --m $m --no-cublas --warmup 4 --reps 2 --load-table $TB \
    > "$R/ncu-$v-$sh-m$m.txt" 2>&1
  echo "ncu $v $sh M=$m: $(grep -E 'inst_executed.sum|duration|issue_active' "$R/ncu-$v-$sh-m$m.txt" | awk '{printf "%s=%s ", $1, $NF}')"
done; done
for s in S Z; do python3 "$X/ab.py" "$R" $s-old $s-C > "$R/ab-$s.txt"; done
python3 "$X/ab.py" "$R" S-C F4-C F5-C > "$R/ab-forced.txt"
python3 - "$R" <<'PY'
import sys, re, statistics as st
R = sys.argv[1]
for f in ("ab-S.txt", "ab-Z.txt", "ab-forced.txt"):
    rows = [l.split("|") for l in open(f"{R}/{f}") if re.match(r"\s*\d+x", l)]
    print("==", f, len(rows), "points")
    by = {}
    for r in rows:
        head = r[0].split(); m = int(head[1])
        for i, c in enumerate(r[2:]):
            v = c.split()
            if len(v) == 2: by.setdefault((i, m), []).append(float(v[1]))
    for (i, m), xs in sorted(by.items()):
        print(f"  variant {i} M={m:2d}: median {st.median(xs):.3f} min {min(xs):.3f} max {max(xs):.3f}")
PY
tar czf "$OUT/s11run3.tar.gz" -C /tmp/res s11run3
echo "== t=$(( $(date +%s) - t0 ))s"
