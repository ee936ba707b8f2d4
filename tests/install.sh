#!/usr/bin/env bash
# `make test-install` (part of `make test`): installs libw4a16 into a temporary prefix and
#  1. checks the installed tree (exact file list), the soname and the links;
#  2. compiles the installed header alone as C11 and as C++17 with -Wall -Wextra -Werror -pedantic;
#  3. checks the CMake package's version compatibility rules;
#  4. builds the examples (examples_c/CMakeLists.txt) with find_package(w4a16), shared and static,
#     and runs them;
#  5. builds them with `pkg-config --cflags --libs w4a16` (and w4a16-static) and runs them;
#  6. uninstalls and checks that nothing is left.
# Every built program must resolve libw4a16 from the prefix (or not need it: static). Without a
# GPU the programs print their plan and exit 0. Needs W4A16_TEST_CUDA_HOME (cuda_runtime.h,
# libcudart_static) and W4A16_TEST_CMAKE (default cmake); pkg-config is required when W4A16_REQUIRE_PKG_CONFIG=1 (CI), else its half is
# skipped with a banner and the last line says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Names of our own: CUDA_HOME or CMAKE in the environment would make cargo rebuild the library
# inside `make install` (build.rs watches them).
CUDA_HOME=${W4A16_TEST_CUDA_HOME:?W4A16_TEST_CUDA_HOME must point at the CUDA toolkit}
CMAKE=${W4A16_TEST_CMAKE:-cmake}
CC=${CC:-cc}
CXX=${CXX:-c++}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/w4a16-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
step() { echo "--- install test: $*"; }
die() { echo "INSTALL TEST FAILED: $*" >&2; exit 1; }

step "make install PREFIX=$prefix (version $version)"
make -C "$root" --no-print-directory -s install PREFIX="$prefix" >/dev/null

# 1. The tree.
expected="include/w4a16.h
lib/cmake/w4a16/w4a16Config.cmake
lib/cmake/w4a16/w4a16ConfigVersion.cmake
lib/libw4a16.a
lib/libw4a16.so -> libw4a16.so.$major
lib/libw4a16.so.$major -> libw4a16.so.$version
lib/libw4a16.so.$version
lib/pkgconfig/w4a16-static.pc
lib/pkgconfig/w4a16.pc"
actual=$(cd "$prefix" && find . \( -type f -o -type l \) -printf '%P\n' | sort | while read -r p; do
  if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; else echo "$p"; fi; done)
[ "$actual" = "$expected" ] || die "installed tree differs:
--- expected
$expected
--- actual
$actual"
soname=$(readelf -d "$prefix/lib/libw4a16.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libw4a16.so.$major" ] || die "soname is '$soname', want libw4a16.so.$major"
cmp -s "$root/include/w4a16.h" "$prefix/include/w4a16.h" || die "installed header differs from include/w4a16.h"
step "tree, soname ($soname) and links OK"

# 2. The installed header alone, with nothing else on the include path.
warn=(-Wall -Wextra -Werror -pedantic)
echo '#include <w4a16.h>' | $CC -std=c11 "${warn[@]}" -I"$prefix/include" -x c -fsyntax-only -
echo '#include <w4a16.h>' | $CXX -std=c++17 "${warn[@]}" -I"$prefix/include" -x c++ -fsyntax-only -
step "header compiles alone as C11 and C++17 with ${warn[*]}"

# Runs a built program and checks which libw4a16 it loads ($2: "shared" or "static").
run_prog() {
  local exe=$1 kind=$2 loaded
  loaded=$(ldd "$exe" | awk '/libw4a16/ {print $3}')
  if [ "$kind" = shared ]; then
    [ "$loaded" = "$prefix/lib/libw4a16.so.$major" ] || die "$exe loads libw4a16 from '$loaded', not the prefix"
  else
    [ -z "$loaded" ] || die "$exe is static but loads $loaded"
  fi
  local args=()
  [ "$(basename "$exe")" = w4a16_gemv_test ] && args=(32 1024 1024)
  local rc=0
  "$exe" "${args[@]}" > "$exe.log" 2>&1 || rc=$?
  [ $rc = 0 ] || { cat "$exe.log"; die "$exe exited with $rc"; }
  echo "    $(basename "$exe") ($kind): $(tail -1 "$exe.log")"
}

# 3. Version rules of the CMake package.
mkdir -p "$tmp/ver"
cat > "$tmp/ver/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(ver LANGUAGES C)
find_package(w4a16 ${REQ} CONFIG QUIET)
file(WRITE "${CMAKE_BINARY_DIR}/found" "${w4a16_FOUND}")
EOF
check_version() {  # $1: requested version, $2: 1 when it must be found
  rm -rf "$tmp/ver/b"
  "$CMAKE" -S "$tmp/ver" -B "$tmp/ver/b" -DCMAKE_PREFIX_PATH="$prefix" -DREQ="$1" >/dev/null
  local found; found=$(cat "$tmp/ver/b/found")
  if [ "$2" = 1 ]; then [ "$found" = 1 ] || die "find_package(w4a16 $1) did not find $version"
  else [ "$found" != 1 ] || die "find_package(w4a16 $1) accepted $version"; fi
}
check_version "" 1
check_version "$major.$minor" 1
check_version "$version" 1
check_version "$major.$((minor + 1))" 0
check_version "$((major + 1)).0" 0
[ "$major" = 0 ] && [ "$minor" -gt 0 ] && check_version "0.$((minor - 1))" 0
step "find_package(w4a16 <version>) follows the versioning policy"

# 4. find_package(w4a16): examples_c/CMakeLists.txt with W4A16_SOURCE=package (no fallback).
for kind in shared static; do
  b=$tmp/cmake-$kind
  static=OFF; suffix=""; [ $kind = static ] && static=ON suffix=_static
  "$CMAKE" -S "$root/examples_c" -B "$b" -DW4A16_SOURCE=package -DW4A16_STATIC=$static \
    -DCMAKE_PREFIX_PATH="$prefix" -DCUDAToolkit_ROOT="$CUDA_HOME" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS=-Werror -DCMAKE_CXX_FLAGS=-Werror > "$b.configure.log" 2>&1 \
    || { cat "$b.configure.log"; die "cmake configure ($kind) failed"; }
  grep -q "installed package at $prefix/lib/cmake/w4a16" "$b.configure.log" \
    || { cat "$b.configure.log"; die "cmake ($kind) did not use the installed package"; }
  "$CMAKE" --build "$b" -j "$(nproc)" > "$b.build.log" 2>&1 || { cat "$b.build.log"; die "cmake build ($kind) failed"; }
  step "find_package(w4a16) + target_link_libraries(w4a16::w4a16$suffix): built; running"
  for ex in example w4a16_gemv_test server_mlp; do run_prog "$b/$ex" $kind; done
done

# 5. pkg-config.
pkgconfig_ran=0
if command -v pkg-config >/dev/null 2>&1; then
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  [ "$(pkg-config --modversion w4a16)" = "$version" ] || die "pkg-config --modversion w4a16 is not $version"
  pkg-config --exists "w4a16 >= $major.$minor" || die "pkg-config: w4a16 >= $major.$minor not satisfied"
  cuda=(-I"$CUDA_HOME/include")
  # The shared library carries its own CUDA runtime; the programs link theirs, as usual.
  cudart=(-L"$CUDA_HOME/lib64" -lcudart_static -ldl -lrt -lpthread -lm)
  for kind in shared static; do
    d=$tmp/pkg-$kind; mkdir -p "$d"
    pc_suffix=""; [ $kind = static ] && pc_suffix=-static
    if [ $kind = shared ]; then
      read -ra flags <<< "$(pkg-config --cflags --libs w4a16)"
      libs=("${flags[@]}" -Wl,-rpath,"$(pkg-config --variable=libdir w4a16)" "${cudart[@]}")
    else
      # libw4a16.a contains the static CUDA runtime: no other runtime is linked.
      read -ra flags <<< "$(pkg-config --cflags --libs w4a16-static)"
      libs=("${flags[@]}")
    fi
    step "pkg-config --cflags --libs w4a16$pc_suffix: ${flags[*]}"
    $CC -std=c11 -O2 "${warn[@]}" "${cuda[@]}" "$root/examples_c/example.c" -o "$d/example" "${libs[@]}"
    $CC -std=c11 -O2 "${warn[@]}" "${cuda[@]}" "$root/examples_c/w4a16_gemv_test.c" -o "$d/w4a16_gemv_test" "${libs[@]}"
    $CXX -std=c++17 -O2 "${warn[@]}" "${cuda[@]}" "$root/examples_c/server_mlp.cpp" -o "$d/server_mlp" "${libs[@]}"
    for ex in example w4a16_gemv_test server_mlp; do run_prog "$d/$ex" $kind; done
  done
  pkgconfig_ran=1
elif [ "${W4A16_REQUIRE_PKG_CONFIG:-0}" = 1 ]; then
  die "pkg-config is not installed (W4A16_REQUIRE_PKG_CONFIG=1)"
else
  echo "=================================================================="
  echo "PKG-CONFIG HALF OF THE INSTALL TEST NOT RUN: pkg-config is not"
  echo "installed (apt-get install pkg-config). It is NOT reported as passed."
  echo "=================================================================="
fi

# 6. Uninstall.
make -C "$root" --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" \( -type f -o -type l \))
[ -z "$left" ] || die "make uninstall left: $left"
step "make uninstall removed every installed file"

if [ $pkgconfig_ran = 1 ]; then
  echo "install test: PASS (tree, soname, header C11/C++17, find_package shared+static, pkg-config shared+static, uninstall)"
else
  echo "install test: PASS for tree, soname, header, find_package, uninstall; pkg-config half NOT RUN"
fi
