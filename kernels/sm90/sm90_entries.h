// sm90_entries.h — names of the per-(configuration, dtype) entry points that each generated family
// TU defines (sm90_family.cu.in) and the launcher (sm90.cu) calls. Light: no CUTLASS here.
#pragma once
#include <stddef.h>
#include <cuda_runtime_api.h>
#include "launch.h"

#define W4A16_SM90_ENTRY_NAME(id, dt) w4a16k_sm90_cfg##id##_##dt
#define W4A16_SM90_WS_NAME(id, dt) w4a16k_sm90_ws_cfg##id##_##dt
#define W4A16_SM90_DECLARE(id, dt)                                                             \
  cudaError_t W4A16_SM90_ENTRY_NAME(id, dt)(const w4a16k_gemm_args&, int, int, cudaStream_t);   \
  size_t W4A16_SM90_WS_NAME(id, dt)(const w4a16k_gemm_args&, int, int);

// Zeroes the last `bytes` bytes of a stream-K workspace of `total` bytes (where CUTLASS keeps the
// barrier flags) with a one-warp kernel, launched with programmatic dependent launch when `pdl`:
// then it waits for the kernel ahead of it and lets the GEMM behind it launch at once, where a
// memset node would break the PDL chain (sm90.cu).
cudaError_t w4a16k_sm90_zero_flags(void* workspace, size_t total, size_t bytes, bool pdl,
                                   cudaStream_t stream);
