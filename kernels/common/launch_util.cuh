// launch_util.cuh — host-side helpers shared by the launchers.
#pragma once
#include <atomic>
#include <cstdint>
#include <utility>
#include <cuda_runtime.h>

namespace w4a16 {

// Raises the dynamic shared-memory limit of `Kernel` to `bytes` on the calling thread's current
// device, once per (kernel, device). Function attributes are per device: a process-wide "once"
// would leave every other GPU at the 48 KB default (launches there then fail with
// cudaErrorInvalidValue). Template parameter:
//   Kernel : the __global__ function (one flag set per instantiation).
template <auto Kernel>
cudaError_t ensure_dynamic_smem(int bytes) {
  static std::atomic<uint64_t> done_devices{0};  // bit d: set on device d (d < 64)
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return err;
  const uint64_t bit = dev >= 0 && dev < 64 ? (uint64_t{1} << dev) : 0;
  if (bit != 0 && (done_devices.load(std::memory_order_acquire) & bit) != 0) return cudaSuccess;
  err = cudaFuncSetAttribute(Kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (err == cudaSuccess && bit != 0) done_devices.fetch_or(bit, std::memory_order_release);
  return err;
}

// SM count of the calling thread's current device (*device set too), queried once per device:
// the launchers size persistent grids and CTA shapes with it on every call.
inline cudaError_t current_device_sm_count(int* device, int* sms) {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> cached[kMaxDevices];
  cudaError_t err = cudaGetDevice(device);
  if (err != cudaSuccess) return err;
  const bool slot = *device >= 0 && *device < kMaxDevices;
  int n = slot ? cached[*device].load(std::memory_order_relaxed) : 0;
  if (n <= 0) {
    err = cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, *device);
    if (err != cudaSuccess) return err;
    if (slot) cached[*device].store(n, std::memory_order_relaxed);
  }
  *sms = n;
  return cudaSuccess;
}

// CTAs of `Kernel` one SM of the calling thread's current device holds at `threads` threads and
// `smem` bytes of dynamic shared memory (cudaOccupancyMaxActiveBlocksPerMultiprocessor), queried
// once per (kernel, device, key): the caller's `key` (0 .. kOccupancyKeys - 1) must stand for one
// (threads, smem) pair of that kernel. Template parameter:
//   Kernel : the __global__ function (one cache per instantiation).
constexpr int kOccupancyKeys = 128;
template <auto Kernel>
cudaError_t ctas_per_sm(int threads, size_t smem, int key, int* ctas) {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> cached[kMaxDevices][kOccupancyKeys];  // result + 1; 0 = not queried
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return err;
  const bool slot = dev >= 0 && dev < kMaxDevices && key >= 0 && key < kOccupancyKeys;
  const int hit = slot ? cached[dev][key].load(std::memory_order_relaxed) : 0;
  if (hit > 0) {
    *ctas = hit - 1;
    return cudaSuccess;
  }
  int n = 0;
  err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, Kernel, threads, smem);
  if (err != cudaSuccess) return err;
  if (slot) cached[dev][key].store(n + 1, std::memory_order_relaxed);
  *ctas = n;
  return cudaSuccess;
}

// Launches `kernel` on `stream`, with programmatic dependent launch when `pdl` (the kernel then
// must call grid_dependency_wait() before touching anything an earlier kernel may write; see
// common/ptx.cuh) and as thread-block clusters of `cluster` when cluster != (1, 1, 1). Returns the
// launch's error (cudaLaunchKernelEx reports configuration errors itself; cudaGetLastError after it
// picks up anything left by the launch). Template parameters: Args = the kernel's parameter types.
template <typename... Args, typename... Actual>
cudaError_t launch_kernel(void (*kernel)(Args...), dim3 grid, dim3 block, size_t smem,
                          cudaStream_t stream, bool pdl, dim3 cluster, Actual&&... args) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[2];
  unsigned n = 0;
  if (pdl) {
    attr[n].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[n].val.programmaticStreamSerializationAllowed = 1;
    ++n;
  }
  if (cluster.x * cluster.y * cluster.z != 1) {
    attr[n].id = cudaLaunchAttributeClusterDimension;
    attr[n].val.clusterDim.x = cluster.x;
    attr[n].val.clusterDim.y = cluster.y;
    attr[n].val.clusterDim.z = cluster.z;
    ++n;
  }
  cfg.attrs = n > 0 ? attr : nullptr;
  cfg.numAttrs = n;
  const cudaError_t err = cudaLaunchKernelEx(&cfg, kernel, std::forward<Actual>(args)...);
  if (err != cudaSuccess) return err;
  return cudaGetLastError();
}

}  // namespace w4a16
