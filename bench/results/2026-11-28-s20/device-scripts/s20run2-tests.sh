#!/usr/bin/env bash
# Session 20, call 2 (H100): memcheck + racecheck and the GPU suite of the osum build (the command
# line of the call, kept as a script).
BUNDLE=dist/osum/gpu.tar.xz NAME=tests-osum LIMIT=540 OUT=$OUT bash scripts/device-tests.sh 2>&1 | tail -30
