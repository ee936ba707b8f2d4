// launch.h — the single C interface between the Rust crate and the CUDA kernels.
//
// Everything here is mechanism: each launcher runs exactly the kernel it is asked for, on the stream
// it is given, and returns the cudaError_t of the launch (cudaGetLastError right after it). All
// policy (argument validation, path and configuration choice, workspace sizing) lives in Rust
// (src/dispatch.rs, src/capi.rs); launchers trust their arguments. src/kernels.rs mirrors this file.
//
// Weight layout read by every kernel: docs/LAYOUT.md and kernels/common/layout.cuh ("packed layout v2").
#ifndef W4A16_KERNELS_LAUNCH_H
#define W4A16_KERNELS_LAUNCH_H

#include <stddef.h>
#include <stdint.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

// Activation / scale / zero / bias / output element type. Values match w4a16_dtype_t.
enum { W4A16K_FP16 = 0, W4A16K_BF16 = 1 };

// One product C[M,N] = A[M,K] · Wᵀ (+ bias), W dequantized as (q - 8) · s[g][n] (+ z[g][n]).
// All pointers are device pointers, 16-byte aligned (checked in Rust). Dimensions were validated:
// N % 64 == 0, K % 64 == 0, K % group_size == 0, group_size ∈ {32, 64, 128} or == K, lda >= K,
// ldc >= N, lda % 8 == 0, ldc % 8 == 0, M >= 1.
typedef struct w4a16k_gemm_args {
  const void* a;          // [M, lda] row-major, dtype
  int64_t lda;            // elements
  const void* packed_w;   // packed layout v2 (common/layout.cuh): N*K/2 bytes, signed int4 (q ^ 8)
  const void* scales;     // [K / group_size, N] row-major, dtype
  const void* zeros;      // [K / group_size, N] row-major, dtype, additive; NULL = none
  const void* bias;       // [N], dtype; NULL = none
  void* c;                // [M, ldc] row-major, dtype
  int64_t ldc;            // elements
  int64_t m, n, k;
  int32_t group_size;     // 32, 64, 128, or K (per-channel)
  int32_t dtype;          // W4A16K_FP16 or W4A16K_BF16
  int32_t config;         // kernel-family specific variant id; 0 = the family's default
  int32_t split_k;        // >= 1; > 1 only where the family supports it (reduction via workspace)
  void* workspace;        // device scratch (may be NULL when workspace_bytes == 0)
  size_t workspace_bytes;
  int32_t flags;          // W4A16K_FLAG_* bits; 0 = none
} w4a16k_gemm_args;

// W4A16K_FLAG_PDL: launch with programmatic dependent launch where the family supports it (GEMV
// family: the kernels prefetch weights and scales before waiting for the previous kernel of the
// stream; see common/ptx.cuh). Families without it ignore the flag.
enum { W4A16K_FLAG_PDL = 1 };

// CUDA-core GEMV family (kernels/gemv): any M, tuned for M <= 16.
cudaError_t w4a16k_gemv(const w4a16k_gemm_args* args, cudaStream_t stream);
// Workspace the GEMV family needs for this problem (0 when split_k == 1).
size_t w4a16k_gemv_workspace_bytes(int64_t m, int64_t n, int32_t split_k);

// Tensor-core (mma.sync) family (kernels/mma): any M, for larger M.
cudaError_t w4a16k_mma(const w4a16k_gemm_args* args, cudaStream_t stream);

// Hopper family (kernels/sm90): CUTLASS SM90 mixed-input GEMM, TMA + wgmma, warp-specialized,
// persistent. Config ids >= 16, one per row of kernels/sm90/configs.def. Needs group_size % 64 == 0
// or group_size == K (group 32 goes to w4a16k_mma). split_k > 1 only for stream-K configs.
cudaError_t w4a16k_sm90(const w4a16k_gemm_args* args, cudaStream_t stream);
// Workspace (bytes) w4a16k_sm90 needs for these arguments (pointers are not read).
size_t w4a16k_sm90_workspace_bytes(const w4a16k_gemm_args* args);
enum { W4A16K_SM90_COOP = 0, W4A16K_SM90_PINGPONG = 1, W4A16K_SM90_STREAMK = 2 };
// One row of the configuration table: tile (weights' N x tokens' M), cluster, schedule.
typedef struct w4a16k_sm90_config {
  int32_t tile_w, tile_t;        // tile along N (weights, wgmma M side) and M (tokens)
  int32_t cluster_w, cluster_t;  // thread-block cluster shape along N and M
  int32_t schedule;              // W4A16K_SM90_COOP / _PINGPONG / _STREAMK
  int32_t tile_k;                // K depth of a pipeline stage (64 or 128): group_size % tile_k == 0
} w4a16k_sm90_config;
// 1 and *out filled (when out != NULL) if `config` is a row of the table, else 0.
int32_t w4a16k_sm90_config_info(int32_t config, w4a16k_sm90_config* out);

// Plain weights [N, K/2] (unsigned q, low nibble = even k) -> packed layout v2, on the device.
cudaError_t w4a16k_pack(const uint8_t* plain, uint8_t* packed, int64_t n, int64_t k,
                        cudaStream_t stream);

// Test reference: fp32 output C32[M, N] (row-major, ld = N) of the same product, computed from the
// PLAIN (unsigned, unpacked) weights with fp32 dequantization and fp32 accumulation. Slow and simple:
// it exists to check the fast kernels on shapes too large for the CPU reference.
cudaError_t w4a16k_reference_gemm(const w4a16k_gemm_args* args, const uint8_t* plain_w, float* c32,
                                  cudaStream_t stream);

// Device queries (through the statically linked runtime: these return an error, never crash,
// on a machine without a GPU or a driver).
typedef struct w4a16k_device_info {
  char name[256];
  int32_t cc_major, cc_minor;
  int32_t sm_count;
  int64_t l2_bytes;
  int64_t global_mem_bytes;
  int32_t max_smem_per_block_optin;
} w4a16k_device_info;

cudaError_t w4a16k_device_count(int32_t* count);
cudaError_t w4a16k_get_device_info(int32_t device, w4a16k_device_info* out);
cudaError_t w4a16k_current_device(int32_t* device);
cudaError_t w4a16k_set_device(int32_t device);
const char* w4a16k_error_name(cudaError_t err);
const char* w4a16k_error_string(cudaError_t err);
int32_t w4a16k_runtime_version(void);
// Launches an empty kernel (1 block of 32 threads): the bare cost of a launch, which the bench
// reports beside the host overhead of a w4a16_gemm call.
cudaError_t w4a16k_noop(cudaStream_t stream);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // W4A16_KERNELS_LAUNCH_H
