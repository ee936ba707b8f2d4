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

.PHONY: all setup build header examples run test test-cpu test-sass test-gpu test-c gpu-bundle clean

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
	# The header alone, as C11 and C++17, with every warning an error.
	echo '#include "w4a16.h"' | $(CC)  $(EX_CFLAGS)  -x c   -fsyntax-only -
	echo '#include "w4a16.h"' | $(CXX) $(EX_CXXFLAGS) -x c++ -fsyntax-only -

# Sets up, builds and runs the minimal C example (on a GPU-less machine it prints its plan).
run: examples
	$(EXBIN)/example

test: setup test-cpu test-sass test-c test-gpu

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
	for ex in $(EXAMPLES); do cp $(EXBIN)/$$ex $(DIST)/; done
	strip $(DIST)/test-* $(DIST)/w4a16-bench $(DIST)/libw4a16.so $(addprefix $(DIST)/,$(EXAMPLES))
	cp scripts/run-gpu-tests.sh scripts/sanitize-gpu.sh $(DIST)/
	du -sh $(DIST)

clean:
	$(CARGO) clean
	rm -rf dist
