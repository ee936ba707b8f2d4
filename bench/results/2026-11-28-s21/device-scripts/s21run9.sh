#!/usr/bin/env bash
# Session 21, call 9 (H100): the whole GPU suite of build `h4` (the kept state; bal3's sanitizer
# runs and suite passed in call 5, h4 changes only the heuristic's rule for group 32).
set -u
OUT=${OUT:-/tmp/out}
BUNDLE=dist/h4/gpu.tar.xz NAME=tests-h4 LIMIT=400 SANITIZE_TOOLS=none OUT=$OUT \
  bash scripts/device-tests.sh 2>&1 | tail -20
