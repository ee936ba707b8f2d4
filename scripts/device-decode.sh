#!/usr/bin/env bash
# One device call for the decode path (issue #4): the GEMV correctness tests, the PDL chain test,
# the C++ server example, then CUDA-graph sweeps of M = 1..16 over the ANCHORS shapes without and
# with programmatic dependent launch (cuBLAS fp16 in the same run), and a graph oracle at M = 16.
# Carries dist/bundle (make gpu-bundle). Everything lands in $OUT as one
# tarball (the device tool returns few files) plus the printed summary.
#   [SANITIZE=1] [TEST_ENVS=...] [VARIANTS=... MS=] [NCU="NxK:M ..." NCU_KERNEL=regex]
#   [ORACLE=flags ORACLE_SHAPES= ORACLE_MS= ORACLE_ENVS=] scripts/device-decode.sh TAG [bench-only]
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
tag=${1:-decode}
REPO=$PWD
bash "$REPO/scripts/unpack-bundle.sh" || exit 2
B=/tmp/gpu; cd "$B" || exit 2
CUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$B${CUBLAS:+:$CUBLAS}"
R=/tmp/res/$tag; mkdir -p "$R"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$R/gpu.txt"
rc=0
if [ "${2:-}" != bench-only ]; then
  timeout 200 ./test-reliability_gpu --include-ignored --test-threads=1 --nocapture pdl_ c_api_bad \
    > "$R/tests-reliability.log" 2>&1 || rc=1
  # FULL_TESTS=1: the whole GPU matrix (every path and configuration), else the GEMV part;
  # TEST_ENVS="A=1 A=2": the GEMV part once per setting of a library experiment switch.
  timeout 300 ./test-gpu --include-ignored --test-threads=1 --nocapture \
    $([ -z "${FULL_TESTS:-}" ] && echo gpu_gemv_configs) > "$R/tests-gpu.log" 2>&1 || rc=1
  for e in ${TEST_ENVS:-}; do
    env "$e" timeout 300 ./test-gpu --include-ignored --test-threads=1 --nocapture gpu_gemv_configs \
      > "$R/tests-gpu-$e.log" 2>&1 || rc=1
  done
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
# environment; e.g. "tuned=:--tune,--save-table,/tmp/t.json pdl=:--load-table,/tmp/t.json,--pdl");
# BENCH=path among the ENVs runs another bench binary (e.g. an older build carried beside);
# '+' in a flag is a comma of its value (--dtype=fp16+bf16).
variants=${VARIANTS:-"plain=: pdl=:--pdl"}
first=
for v in $variants; do
  name=${v%%=*}; rest=${v#*=}; envs=${rest%%:*}; flags=$(echo "${rest#*:}" | tr ',+' ' ,')
  bin=./w4a16-bench; envl=(X=1)
  for e in $(echo "$envs" | tr ',' ' '); do case $e in BENCH=*) bin=${e#BENCH=} ;; *) envl+=("$e") ;; esac; done
  env "${envl[@]}" timeout 240 $bin "${common[@]}" --m ${MS:-1,2,4,8,16} $flags \
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
      --metrics "regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio,regex:smsp__inst_executed_pipe_.*\.sum,regex:lts__t_sectors_srcunit_tex_op_read.*\.sum" \
      ./w4a16-bench --shapes $sh --m $m --no-cublas --warmup 1 --reps 2 \
      > "$R/ncu-$sh-m$m.txt" 2>&1 || rc=1
    grep -E "Duration|DRAM Throughput|Issue Slots Busy|Achieved Occupancy|Registers Per|No Eligible|L2 Hit" "$R/ncu-$sh-m$m.txt" | head -8
    # The stall reasons, largest first (warps stalled per issued instruction).
    grep -E "issue_stalled_.*per_issue_active" "$R/ncu-$sh-m$m.txt" | awk '{print $NF, $1}' | sort -rn | head -8
  done
fi
if [ -n "${ORACLE:-}" ]; then  # ORACLE_ENVS="name=VAR=value ...": one oracle per setting
  for oe in ${ORACLE_ENVS:-base=X=1}; do
    on=${oe%%=*}; ov=${oe#*=}
    env "$ov" timeout ${ORACLE_TIMEOUT:-200} ./w4a16-bench --shapes ${ORACLE_SHAPES:-$shapes} --graph --warmup 3 --reps 20 \
      --graph-launches 10 --m ${ORACLE_MS:-16} --oracle $ORACLE --json "$R/oracle-$on.json" \
      --md "$R/oracle-$on.md" > "$R/oracle-$on.log" 2> "$R/oracle-$on.err" || rc=1
    echo "-- oracle $on"
    python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    print(r["N"], r["K"], r["M"], r["config"], round(r["us"], 1), "oracle", r.get("oracle_config"), round(r.get("oracle_us") or 0, 1))
' "$R/oracle-$on.json"
  done
fi
tar czf "$OUT/$tag.tar.gz" -C /tmp/res "$tag"
exit $rc
