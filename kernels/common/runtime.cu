// runtime.cu — device queries for the Rust side. The CUDA runtime is linked statically; on a
// machine without a GPU or driver every call below returns that runtime's error code, which is
// passed through untouched (Rust turns it into a status).
#include <string.h>
#include <cuda_runtime.h>

#include "launch.h"

extern "C" {

cudaError_t w4a16k_device_count(int32_t* count) {
  if (count == nullptr) return cudaErrorInvalidValue;
  *count = 0;
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err == cudaSuccess) *count = n;
  return err;
}

cudaError_t w4a16k_get_device_info(int32_t device, w4a16k_device_info* out) {
  if (out == nullptr) return cudaErrorInvalidValue;
  memset(out, 0, sizeof(*out));
  cudaDeviceProp prop;
  memset(&prop, 0, sizeof(prop));
  const cudaError_t err = cudaGetDeviceProperties(&prop, device);
  if (err != cudaSuccess) return err;
  static_assert(sizeof(out->name) == sizeof(prop.name), "name buffer sizes differ");
  memcpy(out->name, prop.name, sizeof(out->name));
  out->name[sizeof(out->name) - 1] = '\0';
  out->cc_major = prop.major;
  out->cc_minor = prop.minor;
  out->sm_count = prop.multiProcessorCount;
  out->l2_bytes = static_cast<int64_t>(prop.l2CacheSize);
  out->global_mem_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  out->max_smem_per_block_optin = static_cast<int32_t>(prop.sharedMemPerBlockOptin);
  return cudaSuccess;
}

cudaError_t w4a16k_current_device(int32_t* device) {
  if (device == nullptr) return cudaErrorInvalidValue;
  int d = -1;
  const cudaError_t err = cudaGetDevice(&d);
  *device = (err == cudaSuccess) ? d : -1;
  return err;
}

cudaError_t w4a16k_set_device(int32_t device) { return cudaSetDevice(device); }

const char* w4a16k_error_name(cudaError_t err) { return cudaGetErrorName(err); }

const char* w4a16k_error_string(cudaError_t err) { return cudaGetErrorString(err); }

int32_t w4a16k_runtime_version(void) {
  int v = 0;
  // Answers from the linked runtime itself, driver or not; fall back to the headers' version.
  if (cudaRuntimeGetVersion(&v) != cudaSuccess || v == 0) v = CUDART_VERSION;
  return v;
}

}  // extern "C"

namespace {
__global__ void noop_kernel() {}
}  // namespace

cudaError_t w4a16k_noop(cudaStream_t stream) {
  noop_kernel<<<1, 32, 0, stream>>>();
  return cudaGetLastError();
}
