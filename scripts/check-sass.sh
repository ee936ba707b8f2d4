#!/usr/bin/env bash
# Reads the kernels' machine code and compiler report after a build (no GPU needed) and fails
# when a property the kernels rely on is lost:
#   - GEMV: 16-byte global loads of the packed weights (LDG.E...128);
#   - tensor-core kernels: HMMA (mma.sync) instructions;
#   - SM90 family (kernels/sm90): HGMMA (wgmma) in EVERY one of its kernels, and no byte-wide
#     shared loads (LDS.U8/S8): packed layout v2 lets each thread read its int4 fragment with one
#     32-bit load per k16 block; byte loads mean the reordered layout is no longer recognised;
#   - no local memory anywhere (LDL/STL), no register spills in the ptxas report.
# Writes the per-kernel resource report to target/sass-report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(ls -td target/release/build/w4a16-*/out | head -1)
lib="$out/lib/libw4a16_kernels.a"
log="$(dirname "$out")/output"
tools=${CUDA_HOME:-.toolchain/cuda}/bin
[ -x "$tools/cuobjdump" ] || tools=.toolchain/cuda/bin
sass=$(mktemp); trap 'rm -f "$sass"' EXIT
"$tools/cuobjdump" -sass "$lib" > "$sass"

fail=0
check() { if eval "$2"; then echo "sass: ok   $1"; else echo "sass: FAIL $1"; fail=1; fi; }
# Function bodies: "Function : <mangled name>" headers split the dump.
func_has() { awk -v f="$1" -v p="$2" '/Function :/ {in_f = index($0, f) > 0} in_f && $0 ~ p {n++} END {exit !(n > 0)}' "$sass"; }
check "GEMV weight stream uses 16-byte loads (LDG.E.*128)" "func_has gemv_kernel 'LDG\\.E[.A-Z0-9]*128'"
check "tensor-core kernel uses HMMA" "func_has mma_kernel 'HMMA'"
# Every SM90 mixed-input kernel (CUTLASS GemmUniversal with the RS mixed-input mainloop) has HGMMA.
sm90_counts=$(awk '/Function :/ {if (in_f) {n++; if (h) g++}; in_f = index($0, "MixedInput") > 0; h = 0}
                   in_f && /HGMMA/ {h = 1}
                   END {if (in_f) {n++; if (h) g++}; print n + 0, g + 0}' "$sass")
read -r sm90_n sm90_g <<< "$sm90_counts"
check "SM90 family: HGMMA in every kernel ($sm90_g of $sm90_n)" "[ $sm90_n -gt 0 ] && [ $sm90_n -eq $sm90_g ]"
sm90_bytes=$(awk '/Function :/ {in_f = index($0, "MixedInput") > 0} in_f && /LDS\.(U|S)8/ {n++} END {print n + 0}' "$sass")
check "SM90 family: no byte-wide shared loads of the int4 operand ($sm90_bytes LDS.U8/S8)" "[ $sm90_bytes -eq 0 ]"
check "no local memory (LDL/STL) in any kernel" "! grep -qE '\\b(LDL|STL)\\b' '$sass'"
# Spills show as a stack frame or local memory in the resource usage of each function.
"$tools/cuobjdump" -res-usage "$lib" | awk '/Function/ {name = $2} /REG:/ {print name, $1, $2, $3, $4}' > target/sass-report.txt
check "no stack frame / local memory (no spills) in any kernel" "! grep -vE 'STACK:0 SHARED:[0-9]+ LOCAL:0' target/sass-report.txt | grep -q ."
# ptxas prints C7510 ("wgmma serialized") only when it compiles, so the log of a build that
# recompiled nothing cannot show it; CI's clean build always compiles.
if grep -q "ptxas" "$log" 2>/dev/null; then
  check "no wgmma serialization warning (C7510) in the compile log" "! grep -q C7510 '$log'"
else
  echo "sass: --   C7510 not checked (the last build compiled no kernel)"
fi
echo "sass: $(grep -c 'Function :' "$sass") kernels read; resource usage in target/sass-report.txt"
exit $fail
