# w4a16 — build, test and run. `make run` and `make test` are the two commands a fresh machine
# needs: they install the pinned CUDA toolchain into .toolchain/ first when none is found.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

CARGO       ?= cargo
CC          ?= cc
CXX         ?= c++
TOOLCHAIN   := $(CURDIR)/.toolchain
# CUDA for the C examples (cuda_runtime.h + static cudart): CUDA_HOME, else nvcc's, else ours.
CUDA_HOME   ?= $(shell d=$$(dirname $$(dirname $$(command -v nvcc 2>/dev/null || echo /nonexistent/bin/nvcc))); [ -x $$d/bin/nvcc ] && echo $$d || echo $(TOOLCHAIN)/cuda)
LIBDIR      := $(CURDIR)/target/release
EXBIN       := $(CURDIR)/target/examples_c
DIST        := $(CURDIR)/dist/gpu
# A GPU is "present" when nvidia-smi lists one; the GPU tests then run too.
HAVE_GPU    := $(shell nvidia-smi -L >/dev/null 2>&1 && echo 1 || echo 0)

WARN        := -Wall -Wextra -Werror -pedantic
EX_CFLAGS   := -std=c11 -O2 $(WARN) -I$(CURDIR)/include -I$(CUDA_HOME)/include
EX_CXXFLAGS := -std=c++17 -O2 $(WARN) -I$(CURDIR)/include -I$(CUDA_HOME)/include
EX_LIBS     := -L$(LIBDIR) -lw4a16 -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,$(LIBDIR) \
               -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt -lpthread -lm
EXAMPLES    := example w4a16_gemv_test
CXX_EXAMPLES := server_mlp

# Installation (`make install PREFIX=... [DESTDIR=...]`, docs/INSTALL.md).
PREFIX      ?= /usr/local
DESTDIR     ?=
INSTALL_LIB ?= lib
VERSION     := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
SONAME      := libw4a16.so.$(VERSION_MAJOR)
# What libw4a16.a needs besides itself (it contains the static CUDA runtime).
STATIC_LIBS := -lstdc++ -lgcc_s -lpthread -ldl -lrt -lm
# CMake for the install test: on PATH, else the bootstrap's.
CMAKE_BIN   ?= $(shell command -v cmake 2>/dev/null || echo $(TOOLCHAIN)/venv/bin/cmake)

.PHONY: all setup build header examples run test test-cpu test-sass test-gpu test-c test-install \
        install uninstall gpu-bundle decode-bundle clean

all: build

# Installs CUDA 13.0 + CUTLASS from PyPI into .toolchain/ unless a toolkit is already found.
setup:
	@if [ "$(CUDA_HOME)" = "$(TOOLCHAIN)/cuda" ]; then
	  bash scripts/bootstrap-toolchain.sh
	else
	  echo "setup: using the CUDA toolkit at $(CUDA_HOME)"
	fi

build: setup
	$(CARGO) build --release --lib
	@ldd $(LIBDIR)/libw4a16.so | grep -q cudart && { echo "libw4a16.so links a shared libcudart: the runtime must be static" >&2; exit 1; } || true
	# Programs linked with -lw4a16 record the soname ($(SONAME)): make it resolvable here too.
	@ln -sfn libw4a16.so $(LIBDIR)/$(SONAME)

# Refreshes the committed header from the one build.rs generated.
header: build
	h=$$(ls -t target/release/build/w4a16-*/out/w4a16.h | head -1)
	cp "$$h" include/w4a16.h
	echo "include/w4a16.h refreshed from $$h"

examples: build
	mkdir -p $(EXBIN)
	for ex in $(EXAMPLES); do
	  $(CC)  $(EX_CFLAGS)  examples_c/$$ex.c -o $(EXBIN)/$$ex $(EX_LIBS)
	  $(CXX) $(EX_CXXFLAGS) -x c++ examples_c/$$ex.c -o $(EXBIN)/$$ex.cpp17 $(EX_LIBS)
	done
	for ex in $(CXX_EXAMPLES); do
	  $(CXX) $(EX_CXXFLAGS) examples_c/$$ex.cpp -o $(EXBIN)/$$ex $(EX_LIBS)
	done
	# The header alone, as C11 and C++17, with every warning an error.
	echo '#include "w4a16.h"' | $(CC)  $(EX_CFLAGS)  -x c   -fsyntax-only -
	echo '#include "w4a16.h"' | $(CXX) $(EX_CXXFLAGS) -x c++ -fsyntax-only -

# Sets up, builds and runs the minimal C example (on a GPU-less machine it prints its plan).
run: examples
	$(EXBIN)/example

test: setup test-cpu test-sass test-c test-install test-gpu

# Machine-code properties of the kernels (16-byte loads, HMMA, no spills): no GPU needed.
test-sass: build
	bash scripts/check-sass.sh

test-cpu:
	$(CARGO) test --release

test-c: examples
	# The C programs must load the library and run (multiply and check with a GPU, print the
	# plan and exit 0 without one).
	$(EXBIN)/example
	$(EXBIN)/example.cpp17
	$(EXBIN)/w4a16_gemv_test 32 1024 1024
	$(EXBIN)/server_mlp

# Installs into a temporary prefix; builds and runs the examples against the installed package
# through CMake's find_package(w4a16) and through pkg-config (shared and static); uninstalls.
test-install: build
	W4A16_TEST_CUDA_HOME=$(CUDA_HOME) W4A16_TEST_CMAKE=$(CMAKE_BIN) bash tests/install.sh

# Installs the library, header, pkg-config files and CMake package under $(DESTDIR)$(PREFIX).
install: build
	lib=$(DESTDIR)$(PREFIX)/$(INSTALL_LIB); inc=$(DESTDIR)$(PREFIX)/include
	cudaver=$$($(CUDA_HOME)/bin/nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\),.*/\1/p')
	install -d "$$lib/pkgconfig" "$$lib/cmake/w4a16" "$$inc"
	install -m 755 $(LIBDIR)/libw4a16.so "$$lib/libw4a16.so.$(VERSION)"
	ln -sfn libw4a16.so.$(VERSION) "$$lib/$(SONAME)"
	ln -sfn $(SONAME) "$$lib/libw4a16.so"
	install -m 644 $(LIBDIR)/libw4a16.a "$$lib/libw4a16.a"
	install -m 644 include/w4a16.h "$$inc/w4a16.h"
	subst=(-e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(INSTALL_LIB)|g' -e 's|@VERSION@|$(VERSION)|g')
	subst+=(-e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e 's|@VERSION_MINOR@|$(VERSION_MINOR)|g')
	subst+=(-e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' -e "s|@CUDA_VERSION@|$${cudaver:-unknown}|g")
	rel=$$(realpath -m --relative-to=$(PREFIX)/$(INSTALL_LIB)/cmake/w4a16 $(PREFIX))
	subst+=(-e "s|@PREFIX_FROM_CMAKEDIR@|$$rel|g")
	for f in w4a16.pc w4a16-static.pc; do sed "$${subst[@]}" packaging/$$f.in > "$$lib/pkgconfig/$$f"; done
	for f in w4a16Config.cmake w4a16ConfigVersion.cmake; do sed "$${subst[@]}" packaging/$$f.in > "$$lib/cmake/w4a16/$$f"; done
	chmod 644 "$$lib"/pkgconfig/w4a16*.pc "$$lib"/cmake/w4a16/*.cmake
	echo "installed libw4a16 $(VERSION) under $(DESTDIR)$(PREFIX)"

# Removes exactly what `make install` put there (and lib/cmake/w4a16 when it is left empty).
uninstall:
	lib=$(DESTDIR)$(PREFIX)/$(INSTALL_LIB); inc=$(DESTDIR)$(PREFIX)/include
	rm -f "$$lib"/libw4a16.so "$$lib/$(SONAME)" "$$lib/libw4a16.so.$(VERSION)" "$$lib/libw4a16.a" \
	      "$$inc/w4a16.h" "$$lib"/pkgconfig/w4a16.pc "$$lib"/pkgconfig/w4a16-static.pc \
	      "$$lib"/cmake/w4a16/w4a16Config.cmake "$$lib"/cmake/w4a16/w4a16ConfigVersion.cmake
	rmdir "$$lib/cmake/w4a16" 2>/dev/null || true
	echo "uninstalled libw4a16 $(VERSION) from $(DESTDIR)$(PREFIX)"

test-gpu:
	@if [ "$(HAVE_GPU)" = 1 ]; then
	  $(CARGO) test --release --test gpu --test reliability_gpu -- --include-ignored --test-threads=1 --nocapture
	else
	  echo "=================================================================="
	  echo "GPU TESTS NOT RUN: no GPU on this machine (they are reported as"
	  echo "'ignored' above, never as passed). Run them on a GPU machine with"
	  echo "'make gpu-bundle' here and 'dist/gpu/run-gpu-tests.sh' there."
	  echo "=================================================================="
	fi

# Fails when an archive is larger than the device tool carries in one call (64 MiB).
check_carry = for f in $(1); do b=$$(stat -c %s "$$f"); [ $$b -le 67108864 ] || { echo "$$f: $$b bytes, more than the 64 MiB a device call carries" >&2; exit 1; }; done

# Kept for scripts and habits of earlier sessions: the whole bundle now fits one device call.
decode-bundle: gpu-bundle

# Gathers the .so, the GPU test binary and the C programs into dist/gpu/ (git-ignored) with one
# script that runs them on a GPU machine that has no Rust toolchain.
gpu-bundle: examples
	rm -rf $(DIST); mkdir -p $(DIST)
	$(CARGO) build --release --bin w4a16-bench
	$(CARGO) test --release --no-run --message-format=json 2>/dev/null \
	  | python3 scripts/test-executables.py > $(DIST)/tests.txt
	# The integration tests only: the unit tests need no GPU and ran here.
	grep -v '^unit ' $(DIST)/tests.txt | while read -r name path; do cp "$$path" "$(DIST)/test-$$name"; done
	cp $(LIBDIR)/libw4a16.so $(LIBDIR)/w4a16-bench $(DIST)/
	for ex in $(EXAMPLES) $(CXX_EXAMPLES); do cp $(EXBIN)/$$ex $(DIST)/; done
	strip $(DIST)/test-* $(DIST)/w4a16-bench $(DIST)/libw4a16.so $(addprefix $(DIST)/,$(EXAMPLES) $(CXX_EXAMPLES))
	# The C programs need the soname: a link, which the archives below keep (a copy would carry
	# the 12 MB library twice and push an archive past the device tool's 64 MiB).
	ln -sfn libw4a16.so $(DIST)/$(SONAME)
	cp scripts/run-gpu-tests.sh scripts/sanitize-gpu.sh $(DIST)/
	# The test binaries each embed every kernel (~19 MB apiece, ~200 MB in all); xz with a
	# dictionary larger than the whole tar stores each repeated copy as back-references, so the one
	# archive is ~15 MB (gzip: 2 archives of ~60 MB, against the device tool's 64 MiB per call).
	# There: tar xJf gpu.tar.xz -C /tmp  (or scripts/untar.py where no xz binary is installed).
	rm -rf $(CURDIR)/dist/bundle $(CURDIR)/dist/bundle-tests $(CURDIR)/dist/bundle-tools $(CURDIR)/dist/bundle-decode
	mkdir -p $(CURDIR)/dist/bundle
	cp scripts/compare-bench.py scripts/untar.py $(DIST)/
	# What the bundle was built from, for device scripts to print (a stale bundle once ran an
	# experiment's kernels in place of HEAD's: bench/NOTES.md, session 14).
	changes=$$(git -C $(CURDIR) diff HEAD -- kernels src build.rs 2>/dev/null || true)
	{ echo "commit $$(git -C $(CURDIR) rev-parse --short HEAD 2>/dev/null || echo unknown)"
	  if [ -z "$$changes" ]; then echo "uncommitted changes to kernels/ src/ build.rs: none"
	  else echo "uncommitted changes to kernels/ src/ build.rs: diff $$(printf '%s' "$$changes" | sha256sum | cut -c1-12)"; fi
	  echo "built $$(date -u +%FT%TZ)"; } > $(DIST)/BUILD-INFO
	cd $(CURDIR)/dist && tar cf - gpu | xz -6 --lzma2=preset=6,dict=256MiB -T1 > bundle/gpu.tar.xz
	du -sh $(DIST) $(CURDIR)/dist/bundle/gpu.tar.xz
	$(call check_carry,$(CURDIR)/dist/bundle/gpu.tar.xz)

clean:
	$(CARGO) clean
	rm -rf dist
