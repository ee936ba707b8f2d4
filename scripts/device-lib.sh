# What the device-side bench scripts share (device-table-pass.sh, device-ab.sh, device-sweep.sh);
# sourced, not run.
# Callers set R (the results folder) and t0 (the start, in seconds) first.

# Stops (exit 3) unless the GPU is a $1 (h100 or h200); writes its name to $R/gpu.txt.
device_check_card() {
  nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$R/gpu.txt"
  grep -qi "$1" "$R/gpu.txt" || { echo "not an $1" >&2; exit 3; }
}

# bench_run NAME BENCH TABLE FLAGS...: one decode run of BENCH with TABLE (CUDA-graph replay, PDL,
# no cuBLAS) into $R/NAME.{json,md,log,err}; prints its exit status and any wrong result.
# sweep_run: the same with cuBLAS fp16 measured beside (for records, not A/B comparisons).
bench_run() { bench_with --no-cublas "$@"; }
sweep_run() { bench_with "" "$@"; }
bench_with() {
  local cublas=$1 name=$2 bench=$3 table=$4; shift 4
  timeout 200 "$bench" --graph --pdl --warmup 3 --reps 20 --graph-launches 10 $cublas "$@" \
    --load-table "$table" --json "$R/$name.json" --md "$R/$name.md" \
    > "$R/$name.log" 2> "$R/$name.err"
  echo "$name rc=$? t=$(( $(date +%s) - t0 ))s"
  grep -hE "WRONG|not used|refus" "$R/$name.log" "$R/$name.err" | head -3
}

# decode_flags SET: the bench's problem grid (SHAPES, MS, DTYPES, GROUP_SIZES; the ANCHORS decode
# grid by default) for set S (scale-only) or Z (with zeros). GROUP_SIZES, not GROUPS: bash sets
# GROUPS to the user's group ids.
decode_flags() {
  local shapes=${SHAPES:-4096x4096,6144x4096,4096x14336,8192x8192,28672x4096,28672x8192,8192x28672}
  local grid="--shapes $shapes --m ${MS:-1,2,3,4,5,6,8,12,16} --dtype ${DTYPES:-fp16,bf16}"
  grid="$grid --group ${GROUP_SIZES:-128,64,32}"
  if [ "$1" = Z ]; then echo "$grid --zeros"; else echo "$grid"; fi
}

# unpack_bench ARCHIVE DIR: unpacks an xz tar holding a w4a16-bench anywhere inside (a slim archive
# of gpu/w4a16-bench or a whole `make gpu-bundle` archive; relative paths from the repository
# root) into DIR and prints the bench's path; exits 2 if there is none.
unpack_bench() {
  local archive=$1 dir=$2 bin
  [ -f "$archive" ] || archive=$REPO/$archive
  mkdir -p "$dir"
  tar xJf "$archive" -C "$dir" || { echo "cannot unpack $archive" >&2; exit 2; }
  bin=$(find "$dir" -name w4a16-bench -type f | head -1)
  [ -n "$bin" ] || { echo "no w4a16-bench in $archive" >&2; exit 2; }
  build_info "$(dirname "$bin")" "$archive"
  echo "$bin"
}

# build_info DIR LABEL: prints on stderr, for the call's log, what the bundle unpacked in DIR was
# built from (make gpu-bundle writes DIR/BUILD-INFO; slim archives have none).
build_info() {
  if [ -f "$1/BUILD-INFO" ]; then echo "$2: $(tr '\n' ';' < "$1/BUILD-INFO")" >&2; fi
}
