#!/usr/bin/env bash
# Installs the pinned CUDA 13.0 compiler + static runtime and the CUTLASS headers from PyPI into
# .toolchain/ (git-ignored), and assembles .toolchain/cuda as a CUDA_HOME. Idempotent: a finished
# install leaves .toolchain/READY and a rerun returns at once. Needs python3 (venv + pip) only.
set -euo pipefail

# Pins: the device machines' driver is 580.x (CUDA 13.0), so stay on 13.0. The cuda-toolkit meta
# package pins every component to one release (nvcc alone pulls unpinned 13.5 companions).
CUDA_PIN="13.0.*"
CUTLASS_PIN="4.2.0.0"
# cuobjdump + nvdisasm (SASS checks only) have no 13.0 wheels; newer ones read sm_90a cubins.
SASS_TOOLS_PIN="13.2.78"
STAMP="cuda=${CUDA_PIN} cutlass=${CUTLASS_PIN} sass-tools=${SASS_TOOLS_PIN} v2"

ROOT=${W4A16_TOOLCHAIN_DIR:-"$(cd "$(dirname "$0")/.." && pwd)/.toolchain"}
if [[ -f "$ROOT/READY" && "$(cat "$ROOT/READY")" == "$STAMP" ]]; then
  echo "toolchain: ready in $ROOT"
  exit 0
fi
echo "toolchain: installing CUDA $CUDA_PIN + CUTLASS $CUTLASS_PIN into $ROOT (about 300 MB, a few minutes)"
rm -rf "$ROOT"
mkdir -p "$ROOT"
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install -q --disable-pip-version-check \
  "cuda-toolkit[nvcc,cudart,cccl,crt,nvvm]==${CUDA_PIN}" cmake ninja
WHEEL=$("$ROOT/venv/bin/python" -c 'import nvidia.cu13, sys; sys.stdout.write(list(nvidia.cu13.__path__)[0])')

# A CUDA_HOME of symlinks: nvcc.profile links with -L$(TOP)/lib64 and derives TOP from the path nvcc
# was invoked by, so bin/ is linked file by file; CMake's FindCUDAToolkit wants an unversioned libcudart.so.
CH="$ROOT/cuda"
mkdir -p "$CH/bin" "$CH/lib64"
for f in "$WHEEL"/bin/*; do ln -sf "$f" "$CH/bin/"; done
ln -sfn "$WHEEL/nvvm" "$CH/nvvm"
ln -sfn "$WHEEL/include" "$CH/include"
for f in "$WHEEL"/lib/*; do ln -sf "$f" "$CH/lib64/"; done
ln -sf libcudart.so.13 "$CH/lib64/libcudart.so"
ln -sfn lib64 "$CH/lib"

"$ROOT/venv/bin/pip" download -q --disable-pip-version-check --no-deps \
  "nvidia-cutlass==${CUTLASS_PIN}" -d "$ROOT/dl"
mkdir -p "$ROOT/cutlass"
(cd "$ROOT/cutlass" && "$ROOT/venv/bin/python" -m zipfile -e "$ROOT"/dl/nvidia_cutlass-*.whl .)
test -f "$ROOT/cutlass/cutlass_library/source/include/cutlass/cutlass.h"
ln -sfn "cutlass/cutlass_library/source" "$ROOT/cutlass-src"
"$ROOT/venv/bin/pip" download -q --disable-pip-version-check --no-deps \
  "nvidia-cuda-cuobjdump==${SASS_TOOLS_PIN}" "nvidia-cuda-nvdisasm==${SASS_TOOLS_PIN}" -d "$ROOT/dl"
mkdir -p "$ROOT/sass-tools"
for whl in "$ROOT"/dl/nvidia_cuda_cuobjdump-*.whl "$ROOT"/dl/nvidia_cuda_nvdisasm-*.whl; do
  (cd "$ROOT/sass-tools" && "$ROOT/venv/bin/python" -m zipfile -e "$whl" .)
done
for tool in cuobjdump nvdisasm; do
  chmod +x "$ROOT/sass-tools/nvidia/cu13/bin/$tool"
  ln -sf "$ROOT/sass-tools/nvidia/cu13/bin/$tool" "$CH/bin/$tool"
done
rm -rf "$ROOT/dl"

"$CH/bin/nvcc" --version | tail -1
echo "$STAMP" > "$ROOT/READY"
echo "toolchain: ready in $ROOT"
