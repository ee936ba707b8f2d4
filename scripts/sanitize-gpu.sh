#!/usr/bin/env bash
# Runs compute-sanitizer's memcheck, racecheck, initcheck and synccheck over the GPU test
# targets of a bundle (`make gpu-bundle` -> dist/gpu) and prints one table row per tool and
# target. A row passes when the tool reports zero errors (racecheck: zero hazards), the summary
# line was found, and the test itself passed.
#
#   scripts/sanitize-gpu.sh [BUNDLE_DIR]   (default: dist/gpu, or the bundle the script lies in)
#
# Environment:
#   SANITIZE_TOOLS    tools to run (default: "memcheck racecheck initcheck synccheck")
#   SANITIZE_TARGETS  "binary:test[:tool,tool]" (a third field limits the tools run on that
#                     target). Default: "test-reliability_gpu:sanitize_matrix_small" (the GEMV,
#                     tensor-core GEMV and mma.sync kernels at small shapes, all tools),
#                     "test-reliability_gpu:sanitize_matrix_sm90" (every SM90 row, all tools) and
#                     "test-gpu:gpu_gemv_configs_small_shapes:memcheck" (every GEMV configuration
#                     and split, K tails, group 32; memcheck only: racecheck takes ~8 min there);
#                     e.g. add "test-gpu:gpu_matrix_small_shapes_cpu_reference" for the full
#                     small matrix (much slower under racecheck)
#   W4A16_PDL=1       (read by the tests' handles) checks the programmatic-dependent-launch kernels
#   SANITIZER         the compute-sanitizer executable (default: from PATH, else CUDA_HOME, else
#                     /usr/local/cuda/bin)
#   OUT               where logs and sanitize-summary.md go (default: ./sanitize-logs)
set -uo pipefail
# Default bundle: this script's own directory when it lies in one (dist/gpu/sanitize-gpu.sh),
# else dist/gpu under the current directory (the repository root).
here=$(cd "$(dirname "$0")" && pwd)
default=dist/gpu
[ -x "$here/test-reliability_gpu" ] && default=$here
bundle=$(cd "${1:-$default}" && pwd) || { echo "no bundle directory ${1:-$default} (make gpu-bundle)" >&2; exit 2; }
tools=${SANITIZE_TOOLS:-memcheck racecheck initcheck synccheck}
targets=${SANITIZE_TARGETS:-test-reliability_gpu:sanitize_matrix_small test-reliability_gpu:sanitize_matrix_sm90 test-gpu:gpu_gemv_configs_small_shapes:memcheck}
out=${OUT:-$PWD/sanitize-logs}
mkdir -p "$out"
san=${SANITIZER:-$(command -v compute-sanitizer || true)}
for d in "${CUDA_HOME:-}" /usr/local/cuda; do
  [ -z "$san" ] && [ -n "$d" ] && [ -x "$d/bin/compute-sanitizer" ] && san="$d/bin/compute-sanitizer"
done
[ -n "$san" ] || { echo "compute-sanitizer not found (set SANITIZER)" >&2; exit 2; }
export LD_LIBRARY_PATH="$bundle${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$san" --version | tail -1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

rows=()
fail=0
for target in $targets; do
  bin=${target%%:*}; test=${target#*:}; only=""
  case $test in *:*) only=${test#*:}; test=${test%%:*} ;; esac
  [ -x "$bundle/$bin" ] || { echo "missing $bundle/$bin" >&2; fail=1; rows+=("| $bin $test | all | - | MISSING |"); continue; }
  for tool in $tools; do
    [ -n "$only" ] && [[ ",$only," != *",$tool,"* ]] && continue
    log="$out/$tool-$bin-$test.log"
    extra=()
    case $tool in
      memcheck) extra=(--leak-check full) ;;
    esac
    start=$(date +%s)
    "$san" --tool "$tool" "${extra[@]}" --print-limit 100 \
      "$bundle/$bin" --include-ignored --exact "$test" --test-threads=1 --nocapture > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    errors=$(grep -Eo 'ERROR SUMMARY: [0-9]+ error' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
    hazards=""
    if [ "$tool" = racecheck ]; then
      hazards=$(grep -Eo 'RACECHECK SUMMARY: [0-9]+ hazard' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
      # racecheck prints "RACECHECK SUMMARY: N hazards displayed (E errors, W warnings)" and no
      # ERROR SUMMARY line: take E from there.
      [ -z "$errors" ] && errors=$(grep -Eo 'RACECHECK SUMMARY: .*\(([0-9]+) error' "$log" | tail -1 | grep -Eo '\(([0-9]+)' | tr -d '(' || true)
    fi
    passed=$(grep -c 'test result: ok. 1 passed' "$log" || true)
    reasons=()
    [ -z "$errors" ] && reasons+=("no ERROR SUMMARY line")
    [ -n "$errors" ] && [ "$errors" != 0 ] && reasons+=("$errors errors")
    [ -n "$hazards" ] && [ "$hazards" != 0 ] && reasons+=("$hazards hazards")
    { [ $rc -ne 0 ] || [ "$passed" = 0 ]; } && reasons+=("test rc=$rc")
    verdict=PASS
    [ ${#reasons[@]} -gt 0 ] && verdict="FAIL (${reasons[*]})"
    [ "$verdict" = PASS ] || fail=1
    rows+=("| $tool | $bin $test | ${errors:-?}${hazards:+ errors, $hazards hazards} | ${secs}s | $verdict |")
    echo "$tool $bin $test: ${errors:-?} errors${hazards:+, $hazards hazards}, ${secs}s -> $verdict (log: $log)"
  done
done

{
  echo "| tool | target | findings | time | result |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$out/sanitize-summary.md"
echo "=== compute-sanitizer summary ($out/sanitize-summary.md)"
cat "$out/sanitize-summary.md"
exit $fail
