// reference.cu — slow, simple GPU reference for the tests: fp32 C32[M, N] (ld = N) of the same
// product, from the PLAIN (unsigned q, unpacked) weights, with fp32 dequantization
// w = (q - 8)·s (+ z) and fp32 accumulation in plain k order. It shares no code path with the fast
// kernels beyond dtype -> fp32 conversion, so it checks the packed layout and the int4 tricks too.
#include <cuda_runtime.h>

#include "common/int4.cuh"
#include "launch.h"

namespace w4a16 {
namespace reference {

constexpr int kTile = 64;     // 64 x 64 outputs per CTA
constexpr int kBK = 32;       // k per shared-memory step (one scale per 8-k load: group >= 32)
constexpr int kThreads = 256; // 16 x 16 threads, 4 x 4 outputs each, strided by 16
constexpr int kPad = 4;       // breaks the power-of-two row stride of the [k][m] tiles

struct Params {
  const void* a;
  int64_t lda;
  const uint8_t* plain;
  const void* scales;
  const void* zeros;
  const void* bias;
  float* c32;
  int64_t m, n, k;
  int32_t group;
};

// T: half or __nv_bfloat16. Grid: x = ceil(M/64), y = N/64 (N % 64 == 0).
template <typename T>
__global__ void __launch_bounds__(kThreads) reference_kernel(const Params p) {
  using Tr = DtypeTraits<T>;
  __shared__ float sa[kBK][kTile + kPad];  // [k][m]
  __shared__ float sw[kBK][kTile + kPad];  // [k][n]
  const int tid = threadIdx.x;
  const int tx = tid & 15, ty = tid >> 4;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.y) * kTile;

  // Loader role: row (token or channel) tid/4 of the tile, 8 consecutive k at (tid%4)*8.
  const int ld_row = tid >> 2;
  const int ld_k = (tid & 3) * 8;
  const bool a_ok = m0 + ld_row < p.m;
  const T* a_src = static_cast<const T*>(p.a) + (a_ok ? (m0 + ld_row) * p.lda : 0);
  const int64_t n_ld = n0 + ld_row;
  const uint8_t* w_src = p.plain + n_ld * (p.k / 2);
  const T* scales = static_cast<const T*>(p.scales);
  const T* zeros = static_cast<const T*>(p.zeros);

  float acc[4][4] = {};
  for (int64_t k0 = 0; k0 < p.k; k0 += kBK) {
    float av[8];
    if (a_ok) {
      dtype8_to_float<T>(*reinterpret_cast<const uint4*>(a_src + k0 + ld_k), av);
    } else {
#pragma unroll
      for (int i = 0; i < 8; ++i) av[i] = 0.f;
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) sa[ld_k + i][ld_row] = av[i];

    const int64_t kk = k0 + ld_k;
    const uint32_t word = *reinterpret_cast<const uint32_t*>(w_src + kk / 2);
    const int64_t gi = (kk / p.group) * p.n + n_ld;
    const float s = Tr::to_float(scales[gi]);
    const float z = zeros != nullptr ? Tr::to_float(zeros[gi]) : 0.f;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int q = static_cast<int>((word >> (4 * i)) & 0xFu);  // plain: k even = low nibble
      sw[ld_k + i][ld_row] = fmaf(static_cast<float>(q - 8), s, z);
    }
    __syncthreads();
#pragma unroll 8
    for (int k = 0; k < kBK; ++k) {
      float a4[4], w4[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a4[i] = sa[k][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) w4[j] = sw[k][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a4[i], w4[j], acc[i][j]);
    }
    __syncthreads();
  }

  const T* bias = static_cast<const T*>(p.bias);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t row = m0 + ty + 16 * i;
    if (row >= p.m) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t col = n0 + tx + 16 * j;
      const float b = bias != nullptr ? Tr::to_float(bias[col]) : 0.f;
      p.c32[row * p.n + col] = acc[i][j] + b;
    }
  }
}

}  // namespace reference
}  // namespace w4a16

extern "C" cudaError_t w4a16k_reference_gemm(const w4a16k_gemm_args* args, const uint8_t* plain_w,
                                             float* c32, cudaStream_t stream) {
  using namespace w4a16::reference;
  if (args == nullptr || plain_w == nullptr || c32 == nullptr) return cudaErrorInvalidValue;
  if (args->m <= 0) return cudaSuccess;
  Params p;
  p.a = args->a;
  p.lda = args->lda;
  p.plain = plain_w;
  p.scales = args->scales;
  p.zeros = args->zeros;
  p.bias = args->bias;
  p.c32 = c32;
  p.m = args->m;
  p.n = args->n;
  p.k = args->k;
  p.group = args->group_size;
  const int64_t m_tiles = (p.m + kTile - 1) / kTile;
  const int64_t n_tiles = p.n / kTile;
  if (m_tiles > 0x7fffffff || n_tiles > 65535 || p.n % kTile != 0 || p.k % kBK != 0) {
    return cudaErrorInvalidValue;
  }
  const dim3 grid(static_cast<unsigned>(m_tiles), static_cast<unsigned>(n_tiles));
  switch (args->dtype) {
    case W4A16K_FP16:
      reference_kernel<half><<<grid, kThreads, 0, stream>>>(p);
      break;
    case W4A16K_BF16:
      reference_kernel<__nv_bfloat16><<<grid, kThreads, 0, stream>>>(p);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}
