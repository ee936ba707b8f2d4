#!/usr/bin/env bash
# One device call for the decode path (issue #4): the GEMV correctness tests, the PDL chain test,
# the C++ server example, then CUDA-graph sweeps of M = 1..16 over the ANCHORS shapes without and
# with programmatic dependent launch (cuBLAS fp16 in the same run), and a graph oracle at M = 16.
# Carries dist/bundle-decode/decode.tar.gz (make decode-bundle). Everything lands in $OUT as one
# tarball (the device tool returns few files) plus the printed summary.
#   [SANITIZE=1] [VARIANTS=...] [NCU="NxK:M ..." NCU_KERNEL=regex] [ORACLE=flags ORACLE_SHAPES= ORACLE_MS=] scripts/device-decode.sh TAG [bench-only]
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
tag=${1:-decode}
REPO=$PWD
tar xzf dist/bundle-decode/decode.tar.gz -C /tmp || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/$tag; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$R/gpu.txt"
rc=0
if [ "${2:-}" != bench-only ]; then
  timeout 200 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ c_api_bad \
    > "$R/tests-reliability.log" 2>&1 || rc=1
  # FULL_TESTS=1: the whole GPU matrix (every path and configuration), else the GEMV part.
  timeout 300 ./test-gpu --include-ignored --test-threads=1 --nocapture \
    $([ -z "${FULL_TESTS:-}" ] && echo gpu_gemv_configs) > "$R/tests-gpu.log" 2>&1 || rc=1
  timeout 200 ./test-tune_gpu --include-ignored --test-threads=1 --nocapture > "$R/tests-tune.log" 2>&1 || rc=1
  timeout 60 ./server_mlp > "$R/server_mlp.log" 2>&1 || rc=1
  grep -hE "^== |test result|panicked|SUMMARY" "$R"/tests-*.log "$R/server_mlp.log" | head -20
fi
if [ -n "${SANITIZE:-}" ]; then  # SANITIZE="1 0": compute-sanitizer's default targets with W4A16_PDL=1, =0
  for pdl in $SANITIZE; do
    W4A16_PDL=$pdl OUT="$R/sanitize-pdl$pdl" timeout 280 bash "$REPO/scripts/sanitize-gpu.sh" "$B" \
      > "$R/sanitize-pdl$pdl.log" 2>&1 || rc=1
    echo "-- sanitizer, W4A16_PDL=$pdl"; grep -E " -> " "$R/sanitize-pdl$pdl.log"
  done
fi
shapes=4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672
common=(--shapes $shapes --graph --warmup 3 --reps 20 --graph-launches 10)
# Variants: NAME=ENV[,ENV]:FLAG[,FLAG] (the library's experiment switches ride in the
# environment; e.g. "tuned=:--tune,--save-table,/tmp/t.json pdl=:--load-table,/tmp/t.json,--pdl").
variants=${VARIANTS:-"plain=: pdl=:--pdl"}
first=
for v in $variants; do
  name=${v%%=*}; rest=${v#*=}; envs=${rest%%:*}; flags=$(echo "${rest#*:}" | tr ',' ' ')
  env $(echo "$envs" | tr ',' ' ') timeout 240 ./w4a16-bench "${common[@]}" --m 1,2,4,8,16 $flags \
    --json "$R/$name.json" --md "$R/$name.md" > "$R/$name.log" 2> "$R/$name.err" || rc=1
  tail -1 "$R/$name.err"
  [ -z "$first" ] && { first=$name; grep -E "copy bandwidth|host time" "$R/$name.err" | head -2; continue; }
  echo "## $first -> $name"
  python3 "$B/compare-bench.py" "$R/$first.json" "$R/$name.json" --md "$R/$first-vs-$name.md" \
    | awk -F'|' 'NR>4 && NF>10 {printf "%s M=%s %s: %s -> %s us (x%s) %s\n", $2, $3, $6, $7, $9, $10, $12}'
done
if [ -n "${NCU:-}" ]; then  # NCU="NxK:M ..." profiles the GEMV kernels of those points
  for pt in $NCU; do
    sh=${pt%%:*}; m=${pt#*:}
    # The bench's host-time loop runs cfg0 and SM90 kernels first: match the kernel family asked.
    timeout 120 ncu --kernel-name regex:${NCU_KERNEL:-gemv_tc} --launch-count 1 \
      --section SpeedOfLight --section MemoryWorkloadAnalysis --section SchedulerStats \
      --section WarpStateStats --section Occupancy --section LaunchStats \
      ./w4a16-bench --shapes $sh --m $m --no-cublas --warmup 1 --reps 2 \
      > "$R/ncu-$sh-m$m.txt" 2>&1 || rc=1
    grep -E "Duration|Memory Throughput|DRAM Throughput|Issue Slots Busy|Achieved Occupancy|Registers Per|Stall|No Eligible|L2 Hit|Block Limit" "$R/ncu-$sh-m$m.txt" | head -24
  done
fi
if [ -n "${ORACLE:-}" ]; then
  timeout 200 ./w4a16-bench --shapes ${ORACLE_SHAPES:-$shapes} --graph --warmup 3 --reps 20 \
    --graph-launches 10 --m ${ORACLE_MS:-16} --oracle $ORACLE --json "$R/oracle.json" \
    --md "$R/oracle.md" > "$R/oracle.log" 2> "$R/oracle.err" || rc=1
  python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    print(r["N"], r["K"], r["M"], r["config"], round(r["us"], 1), "oracle", r.get("oracle_config"), round(r.get("oracle_us") or 0, 1))
' "$R/oracle.json"
fi
tar czf "$OUT/$tag.tar.gz" -C /tmp/res "$tag"
exit $rc
