// sm90.cu — launcher of the SM90 mixed-input GEMM family (TMA + wgmma, warp-specialized).
// The instantiations live in the generated family TUs (one per family of configs.def and dtype);
// this file only maps a config id to its entry point. Policy (which id, split) is in Rust.
#include <cuda_runtime.h>

#include "common/launch_util.cuh"
#include "common/ptx.cuh"
#include "launch.h"
#include "sm90/sm90_entries.h"

#define W4A16_SM90_CONFIG(id, fam, tw, tt, cw, ct, sched) \
  W4A16_SM90_DECLARE(id, f16)                             \
  W4A16_SM90_DECLARE(id, bf16)
#include "sm90/configs.def"
#undef W4A16_SM90_CONFIG

namespace {

// SM count of the current device (the persistent schedulers size their grid with it); on a
// GPU-less machine (workspace queries) an H100's count.
int sm_count(int* device) {
  int sms = 0;
  if (w4a16::current_device_sm_count(device, &sms) != cudaSuccess || sms <= 0) {
    cudaGetLastError();
    return 132;
  }
  return sms;
}

}  // namespace

namespace {
// Schedule code and K tile of each `sched` of configs.def (sm90_gemm.cuh defines the types).
enum {
  kCoop = W4A16K_SM90_COOP,
  kPingpong = W4A16K_SM90_PINGPONG,
  kCoopSK = W4A16K_SM90_STREAMK,
  kCoopSKK128 = W4A16K_SM90_STREAMK,
  kCoopK128 = W4A16K_SM90_COOP,
};
enum {
  kTileKCoop = 64,
  kTileKPingpong = 64,
  kTileKCoopSK = 64,
  kTileKCoopSKK128 = 128,
  kTileKCoopK128 = 128,
};
}  // namespace

extern "C" int32_t w4a16k_sm90_config_info(int32_t config, w4a16k_sm90_config* out) {
  switch (config) {
#define W4A16_SM90_CONFIG(id, fam, tw, tt, cw, ct, sched)  \
  case id:                                               \
    if (out != nullptr) *out = {tw, tt, cw, ct, k##sched, kTileK##sched}; \
    return 1;
#include "sm90/configs.def"
#undef W4A16_SM90_CONFIG
    default: return 0;
  }
}

namespace {
// One warp: a persistent SM90 GEMM takes every register of an SM, so the warp that resets the
// flags should hold as few as possible while the GEMM's CTAs are placed beside it.
// With PDL, its dependent is always the SM90 GEMM launched right after it, which waits before it
// touches memory at all (sm90_gemm.cuh: gemm_kernel): so it may launch before this kernel's own
// wait, and its CTAs take SMs as the kernel ahead of this one frees them. Without PDL both
// griddepcontrol instructions are no-ops.
__global__ void __launch_bounds__(32) zero_flags_kernel(uint4* flags, size_t n16) {
  w4a16::allow_dependent_launch();
  w4a16::grid_dependency_wait();  // the kernel ahead may still use these flags
  for (size_t i = threadIdx.x; i < n16; i += 32) flags[i] = make_uint4(0, 0, 0, 0);
}
}  // namespace

cudaError_t w4a16k_sm90_zero_flags(void* workspace, size_t total, size_t bytes, bool pdl,
                                   cudaStream_t stream) {
  bytes = (bytes < total ? bytes : total) & ~size_t{15};
  if (bytes == 0) return cudaSuccess;
  auto* tail = reinterpret_cast<uint4*>(static_cast<char*>(workspace) + (total - bytes));
  if (reinterpret_cast<uintptr_t>(tail) % 16 != 0) return cudaErrorMisalignedAddress;
  return w4a16::launch_kernel(zero_flags_kernel, dim3(1), dim3(32), 0, stream, pdl, dim3(1, 1, 1),
                              tail, bytes / 16);
}

extern "C" cudaError_t w4a16k_sm90(const w4a16k_gemm_args* args, cudaStream_t stream) {
  if (args == nullptr) return cudaErrorInvalidValue;
  if (args->m <= 0) return cudaSuccess;
  int dev = 0;
  const int sm = sm_count(&dev);
  const bool bf16 = args->dtype == W4A16K_BF16;
  if (!bf16 && args->dtype != W4A16K_FP16) return cudaErrorInvalidValue;
  switch (args->config) {
#define W4A16_SM90_CONFIG(id, fam, tw, tt, cw, ct, sched)                                       \
  case id:                                                                                     \
    return bf16 ? W4A16_SM90_ENTRY_NAME(id, bf16)(*args, sm, dev, stream)                      \
                : W4A16_SM90_ENTRY_NAME(id, f16)(*args, sm, dev, stream);
#include "sm90/configs.def"
#undef W4A16_SM90_CONFIG
    default: return cudaErrorInvalidValue;
  }
}

extern "C" size_t w4a16k_sm90_workspace_bytes(const w4a16k_gemm_args* args) {
  if (args == nullptr || args->m <= 0) return 0;
  int dev = 0;
  const int sm = sm_count(&dev);
  const bool bf16 = args->dtype == W4A16K_BF16;
  switch (args->config) {
#define W4A16_SM90_CONFIG(id, fam, tw, tt, cw, ct, sched)                                       \
  case id:                                                                                     \
    return bf16 ? W4A16_SM90_WS_NAME(id, bf16)(*args, sm, dev) : W4A16_SM90_WS_NAME(id, f16)(*args, sm, dev);
#include "sm90/configs.def"
#undef W4A16_SM90_CONFIG
    default: return 0;
  }
}
