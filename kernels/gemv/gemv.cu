// gemv.cu — CUDA-core GEMV family: C[M,N] = A[M,K] · Wᵀ (+ bias) for small M.
//
// Memory-bound on the packed weights, so the layout of work follows them:
//   * a warp owns kRows consecutive output channels; its 32 lanes stride along K, each lane reading
//     one 16-byte chunk (32 weights) of every row per step, so a warp-wide load covers 512
//     contiguous bytes of one row; the next two steps' loads (2 x kRows x 16 B) stay in flight
//     while a step is consumed;
//   * one scale (and zero) per 32-weight chunk: group_size >= 32 and chunks are 32-aligned, so a
//     chunk never straddles a group;
//   * up to MT token rows share every dequantized weight; for MT <= 4 the scale is applied once
//     per chunk to an fp32 partial sum (zeros via the chunk's activation sum), so the per-weight
//     work is the int4 -> fp32 conversion plus MT FMAs (larger MT scales each weight instead);
//   * fp32 warp-shuffle reduction, bias and rounding to dtype once at the end.
// Split-K (deterministic): split s covers a contiguous range of chunks and writes fp32 partials to
// workspace [split_k, M, N]; a second kernel sums the splits in order, adds bias and rounds.
#include <algorithm>
#include <cuda_runtime.h>

#include "common/int4.cuh"
#include "gemv/gemv_tc.cuh"
#include "launch.h"

namespace w4a16 {
namespace gemv {

constexpr int kWarps = 4;                  // warps per CTA
constexpr int kRows = 4;                   // output channels per warp (one 8-byte scale load)
constexpr int kThreads = 32 * kWarps;
constexpr int kRowsPerCta = kWarps * kRows;
constexpr int kChunk = 32;                 // weights per lane per row per step (one 16-byte load)
constexpr int kMaxMT = 8;                  // token rows per CTA
constexpr int kPartialMaxMT = 4;           // largest MT that scales per chunk (see gemv_kernel)
static_assert(kRows == 4, "scale/bias/output vector accesses assume 4 channels per warp");

struct Params {
  const void* a;
  int64_t lda;
  const uint8_t* w;
  const void* scales;
  const void* zeros;
  const void* bias;
  void* c;
  int64_t ldc;
  float* partial;  // split-K partials [split_k, m, n]; nullptr: write C directly
  int64_t m, n, k;
  int32_t group_shift;  // group index = k >> group_shift (see group_shift())
  int32_t chunks_per_split;
  int64_t n_block_base;  // first CTA row block of this launch (grids cap y at 65535 blocks)
};

// Four consecutive dtype values (8 bytes, 8-byte aligned) -> fp32.
template <typename T>
__device__ __forceinline__ void load4_as_float(const T* p, float (&out)[4]) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  const uint2 raw = __ldg(reinterpret_cast<const uint2*>(p));
  const float2 lo = Tr::to_float2(as_pair<T2>(raw.x));
  const float2 hi = Tr::to_float2(as_pair<T2>(raw.y));
  out[0] = lo.x; out[1] = lo.y; out[2] = hi.x; out[3] = hi.y;
}

// Minimum CTAs per SM for __launch_bounds__: an explicit register budget (128 registers for
// MT == 1, 168 above) instead of ptxas' own occupancy heuristic, which spilled inside the k loop.
constexpr int gemv_min_ctas(int mt) { return mt == 1 ? 4 : 3; }

// Template parameters:
//   T      : activation / scale / zero / bias / output type (half or __nv_bfloat16).
//   MT     : token rows per CTA (1..kMaxMT). Rows past M (last CTA when M > MT) are computed on a
//            clamped copy of row M-1 and not stored.
//   kZeros : additive zeros present.
//   kBias  : bias present (applied here only without split-K; the reduction applies it otherwise).
// Grid: x = ceil(M / MT) token blocks (fastest, so CTAs sharing the same weights run together and
// hit L2), y = N / kRowsPerCta, z = split_k.

template <typename T, int MT, bool kZeros, bool kBias>
__global__ void __launch_bounds__(kThreads, gemv_min_ctas(MT)) gemv_kernel(const Params p) {
  using Tr = DtypeTraits<T>;
  // Few rows: scale once per chunk on fp32 partial sums (zeros through the activation sum), which
  // saves a multiply per weight. Many rows: scale each weight instead, which needs no per-row
  // partials and so keeps the register file in bounds.
  constexpr bool kPartial = MT <= kPartialMaxMT;
  constexpr int kUnrollWords = MT <= 2 ? 4 : 1;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int64_t n0 = ((p.n_block_base + blockIdx.y) * kWarps + warp) * kRows;
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * MT;
  const int m_valid = static_cast<int>(min(static_cast<int64_t>(MT), p.m - m_base));
  const int split = blockIdx.z;
  const int total_chunks = static_cast<int>(p.k / kChunk);
  const int c_begin = split * p.chunks_per_split;
  const int c_end = min(total_chunks, c_begin + p.chunks_per_split);

  const int64_t w_stride = p.k / 2;  // bytes per output channel
  const uint8_t* w_rows = p.w + n0 * w_stride;
  const T* a_rows[MT];
#pragma unroll
  for (int m = 0; m < MT; ++m) {
    const int mm = min(m, m_valid - 1);
    a_rows[m] = static_cast<const T*>(p.a) + (m_base + mm) * p.lda;
  }
  const T* scales = static_cast<const T*>(p.scales) + n0;
  const T* zeros = static_cast<const T*>(p.zeros) + n0;

  float acc[MT][kRows];
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int r = 0; r < kRows; ++r) acc[m][r] = 0.f;

  // One 32-weight chunk per row (c = chunk index) against every token row.
  auto process = [&](uint4 (&cur)[kRows], const int c) {
    const int k0 = c * kChunk;
    const int64_t g = k0 >> p.group_shift;
    float s4[kRows], z4[kRows];
    load4_as_float<T>(scales + g * p.n, s4);
    if (kZeros) load4_as_float<T>(zeros + g * p.n, z4);

    float part[MT][kRows];  // kPartial: unscaled chunk sums
    float asum[MT];         // kPartial && kZeros: chunk sum of activations
#pragma unroll
    for (int m = 0; m < MT; ++m) {
      asum[m] = 0.f;
#pragma unroll
      for (int r = 0; r < kRows; ++r) part[m][r] = 0.f;
    }
    // Word j holds k0 + 8j .. k0 + 8j + 7; the words are rotated into .x so that a rolled loop
    // needs no dynamic register indexing.
#pragma unroll(kUnrollWords)
    for (int j = 0; j < 4; ++j) {
      float wf[kRows][8];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        int4x8_to_float<T>(cur[r].x, wf[r]);
        cur[r] = make_uint4(cur[r].y, cur[r].z, cur[r].w, 0u);
        if (!kPartial) {
#pragma unroll
          for (int i = 0; i < 8; ++i)
            wf[r][i] = kZeros ? fmaf(wf[r][i], s4[r], z4[r]) : wf[r][i] * s4[r];
        }
      }
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        float af[8];
        dtype8_to_float<T>(ldg_128(a_rows[m] + k0 + 8 * j), af);
        if (kPartial && kZeros) {
          asum[m] += ((af[0] + af[1]) + (af[2] + af[3])) + ((af[4] + af[5]) + (af[6] + af[7]));
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r)
#pragma unroll
          for (int i = 0; i < 8; ++i) {
            if (kPartial) part[m][r] = fmaf(wf[r][i], af[i], part[m][r]);
            else acc[m][r] = fmaf(wf[r][i], af[i], acc[m][r]);
          }
      }
    }
    if (kPartial) {
#pragma unroll
      for (int m = 0; m < MT; ++m)
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          acc[m][r] = fmaf(part[m][r], s4[r], acc[m][r]);
          if (kZeros) acc[m][r] = fmaf(asum[m], z4[r], acc[m][r]);
        }
    }
  };

  // Weight loads in flight: the two chunks after the one being consumed (2 x kRows x 16 B/lane),
  // shifted through two buffers. (A 3-slot ring unrolled by 3 saves the shifting moves, ~5% of the
  // instructions at MT = 1, but ptxas then hoists activation loads across chunks and spills.)
  {
    uint4 w_next[kRows], w_next2[kRows];
    {
      const int c = c_begin + lane;
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        w_next[r] = make_uint4(0u, 0u, 0u, 0u);
        w_next2[r] = make_uint4(0u, 0u, 0u, 0u);
        if (c < c_end) w_next[r] = ldg_stream_128(w_rows + r * w_stride + c * 16);
        if (c + 32 < c_end) w_next2[r] = ldg_stream_128(w_rows + r * w_stride + (c + 32) * 16);
      }
    }
#pragma unroll 1
    for (int c = c_begin + lane; c < c_end; c += 32) {
      uint4 cur[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        cur[r] = w_next[r];
        w_next[r] = w_next2[r];
      }
      if (c + 64 < c_end) {
#pragma unroll
        for (int r = 0; r < kRows; ++r)
          w_next2[r] = ldg_stream_128(w_rows + r * w_stride + (c + 64) * 16);
      }
      process(cur, c);
    }
  }

#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
      for (int off = 16; off > 0; off >>= 1)
        acc[m][r] += __shfl_xor_sync(0xffffffffu, acc[m][r], off);

  // Every lane now holds every sum; lane m stores token row m (static indices keep acc in
  // registers).
#pragma unroll
  for (int m = 0; m < MT; ++m) {
    if (lane != m || m >= m_valid) continue;
    const int64_t row = m_base + m;
    if (p.partial != nullptr) {
      float* dst = p.partial + (static_cast<int64_t>(split) * p.m + row) * p.n + n0;
      *reinterpret_cast<float4*>(dst) = make_float4(acc[m][0], acc[m][1], acc[m][2], acc[m][3]);
    } else {
      float v[kRows] = {acc[m][0], acc[m][1], acc[m][2], acc[m][3]};
      if (kBias) {
        float b4[kRows];
        load4_as_float<T>(static_cast<const T*>(p.bias) + n0, b4);
#pragma unroll
        for (int r = 0; r < kRows; ++r) v[r] += b4[r];
      }
      uint2 out;
      out.x = as_u32(Tr::from_float2(v[0], v[1]));
      out.y = as_u32(Tr::from_float2(v[2], v[3]));
      *reinterpret_cast<uint2*>(static_cast<T*>(p.c) + row * p.ldc + n0) = out;
    }
  }
}

// Sums split-K partials in split order (deterministic), adds bias, rounds once. 4 channels/thread.
template <typename T, bool kBias>
__global__ void __launch_bounds__(256) splitk_reduce_kernel(const float* __restrict__ partial,
                                                            int split_k, int64_t m, int64_t n,
                                                            const T* __restrict__ bias,
                                                            T* __restrict__ c, int64_t ldc) {
  using Tr = DtypeTraits<T>;
  const int64_t quads_per_row = n / 4;
  const int64_t total = m * quads_per_row;
  const int64_t plane = m * n;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const int64_t row = i / quads_per_row;
    const int64_t col = (i - row * quads_per_row) * 4;
    const float* src = partial + row * n + col;
    float4 sum = *reinterpret_cast<const float4*>(src);
    for (int s = 1; s < split_k; ++s) {
      const float4 v = *reinterpret_cast<const float4*>(src + s * plane);
      sum.x += v.x; sum.y += v.y; sum.z += v.z; sum.w += v.w;
    }
    if (kBias) {
      float b4[4];
      load4_as_float<T>(bias + col, b4);
      sum.x += b4[0]; sum.y += b4[1]; sum.z += b4[2]; sum.w += b4[3];
    }
    uint2 out;
    out.x = as_u32(Tr::from_float2(sum.x, sum.y));
    out.y = as_u32(Tr::from_float2(sum.z, sum.w));
    *reinterpret_cast<uint2*>(c + row * ldc + col) = out;
  }
}

template <typename T, int MT, bool kZeros, bool kBias>
cudaError_t launch_mt(const Params& p, int split_k, cudaStream_t stream) {
  const int64_t m_blocks = (p.m + MT - 1) / MT;
  const int64_t n_blocks = p.n / kRowsPerCta;
  if (m_blocks > 0x7fffffff || split_k > 65535) return cudaErrorInvalidValue;
  // gridDim.y is capped at 65535: N beyond 65535 * kRowsPerCta channels takes several launches.
  constexpr int64_t kMaxGridY = 65535;
  for (int64_t base = 0; base < n_blocks; base += kMaxGridY) {
    Params q = p;
    q.n_block_base = base;
    const dim3 grid(static_cast<unsigned>(m_blocks),
                    static_cast<unsigned>(std::min(kMaxGridY, n_blocks - base)),
                    static_cast<unsigned>(split_k));
    gemv_kernel<T, MT, kZeros, kBias><<<grid, kThreads, 0, stream>>>(q);
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  return cudaSuccess;
}

// The instantiation list: MT = M for M <= 8 (no wasted rows), MT = 8 otherwise.
template <typename T, bool kZeros, bool kBias>
cudaError_t launch_gemv(const Params& p, int split_k, cudaStream_t stream) {
  const int64_t mt = std::min<int64_t>(p.m, kMaxMT);
  switch (mt) {
    case 1: return launch_mt<T, 1, kZeros, kBias>(p, split_k, stream);
    case 2: return launch_mt<T, 2, kZeros, kBias>(p, split_k, stream);
    case 3: return launch_mt<T, 3, kZeros, kBias>(p, split_k, stream);
    case 4: return launch_mt<T, 4, kZeros, kBias>(p, split_k, stream);
    case 5: return launch_mt<T, 5, kZeros, kBias>(p, split_k, stream);
    case 6: return launch_mt<T, 6, kZeros, kBias>(p, split_k, stream);
    case 7: return launch_mt<T, 7, kZeros, kBias>(p, split_k, stream);
    case 8: return launch_mt<T, 8, kZeros, kBias>(p, split_k, stream);
    default: return cudaErrorInvalidValue;
  }
}

template <typename T, bool kBias>
cudaError_t launch_reduce(const Params& p, int split_k, cudaStream_t stream) {
  constexpr int kReduceThreads = 256;
  const int64_t total = p.m * (p.n / 4);
  const int64_t want = (total + kReduceThreads - 1) / kReduceThreads;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(want, 65536));
  splitk_reduce_kernel<T, kBias><<<blocks, kReduceThreads, 0, stream>>>(
      p.partial, split_k, p.m, p.n, static_cast<const T*>(p.bias), static_cast<T*>(p.c), p.ldc);
  return cudaGetLastError();
}

template <typename T>
cudaError_t dispatch(const Params& p, int split_k, cudaStream_t stream) {
  const bool z = p.zeros != nullptr;
  // With split-K the bias belongs to the reduction; the partial kernels never see it.
  const bool b = p.bias != nullptr && split_k == 1;
  cudaError_t err;
  if (z) {
    err = b ? launch_gemv<T, true, true>(p, split_k, stream)
            : launch_gemv<T, true, false>(p, split_k, stream);
  } else {
    err = b ? launch_gemv<T, false, true>(p, split_k, stream)
            : launch_gemv<T, false, false>(p, split_k, stream);
  }
  if (err != cudaSuccess || split_k == 1) return err;
  return p.bias != nullptr ? launch_reduce<T, true>(p, split_k, stream)
                           : launch_reduce<T, false>(p, split_k, stream);
}

}  // namespace gemv
}  // namespace w4a16

// Config ids of the GEMV family (src/dispatch.rs chooses; kernels only run what they are told):
//   0: CUDA-core kernel above (MT = M <= 8 rows per CTA); split-K through the workspace.
//   1: tensor-core kernel (gemv_tc.cuh); split-K through the workspace.
//   2: tensor-core kernel; split-K as one thread-block cluster (split <= 8), reduced through
//      distributed shared memory: no workspace, one launch.
enum : int32_t { kCfgCudaCore = 0, kCfgTcWorkspace = 1, kCfgTcCluster = 2 };

extern "C" size_t w4a16k_gemv_workspace_bytes(int64_t m, int64_t n, int32_t split_k) {
  if (split_k <= 1 || m <= 0 || n <= 0) return 0;
  return static_cast<size_t>(split_k) * static_cast<size_t>(m) * static_cast<size_t>(n) *
         sizeof(float);
}

namespace {

cudaError_t run_tc(const w4a16k_gemm_args* args, int split_k, cudaStream_t stream) {
  using namespace w4a16;
  namespace tc = w4a16::gemv_tc;
  const bool cluster = args->config == kCfgTcCluster && split_k > 1;
  if (cluster && split_k > tc::kMaxCluster) return cudaErrorInvalidValue;
  const bool ws = !cluster && split_k > 1;
  if (ws && (args->workspace == nullptr ||
             args->workspace_bytes < w4a16k_gemv_workspace_bytes(args->m, args->n, split_k))) {
    return cudaErrorInvalidValue;
  }
  tc::Params p;
  p.a = args->a;
  p.lda = args->lda;
  p.w = static_cast<const uint8_t*>(args->packed_w);
  p.scales = args->scales;
  p.zeros = args->zeros;
  p.bias = ws ? nullptr : args->bias;  // with workspace split-K the reduction adds the bias
  p.c = args->c;
  p.ldc = args->ldc;
  p.partial = ws ? static_cast<float*>(args->workspace) : nullptr;
  p.m = args->m;
  p.n = args->n;
  p.k = args->k;
  p.group_shift = group_shift(args->group_size, args->k);
  if (p.group_shift < 0) return cudaErrorInvalidValue;
  const int64_t steps = (args->k + tc::kStepK - 1) / tc::kStepK;
  p.steps_per_split = static_cast<int32_t>((steps + split_k - 1) / split_k);
  p.mode = cluster ? tc::kCluster : ws ? tc::kWorkspace : tc::kDirect;
  cudaError_t err;
  switch (args->dtype) {
    case W4A16K_FP16: err = tc::launch<half>(p, split_k, stream); break;
    case W4A16K_BF16: err = tc::launch<__nv_bfloat16>(p, split_k, stream); break;
    default: return cudaErrorInvalidValue;
  }
  if (err != cudaSuccess || !ws) return err;
  gemv::Params rp;
  rp.partial = p.partial;
  rp.m = p.m;
  rp.n = p.n;
  rp.bias = args->bias;
  rp.c = args->c;
  rp.ldc = args->ldc;
  switch (args->dtype) {
    case W4A16K_FP16:
      return args->bias != nullptr ? gemv::launch_reduce<half, true>(rp, split_k, stream)
                                   : gemv::launch_reduce<half, false>(rp, split_k, stream);
    default:
      return args->bias != nullptr ? gemv::launch_reduce<__nv_bfloat16, true>(rp, split_k, stream)
                                   : gemv::launch_reduce<__nv_bfloat16, false>(rp, split_k, stream);
  }
}

}  // namespace

extern "C" cudaError_t w4a16k_gemv(const w4a16k_gemm_args* args, cudaStream_t stream) {
  using namespace w4a16::gemv;
  if (args == nullptr) return cudaErrorInvalidValue;
  if (args->m <= 0) return cudaSuccess;
  const int split_k = args->split_k < 1 ? 1 : args->split_k;
  if (split_k > 65535) return cudaErrorInvalidValue;
  if (args->config == kCfgTcWorkspace || args->config == kCfgTcCluster) {
    return run_tc(args, split_k, stream);
  }
  if (args->config != kCfgCudaCore) return cudaErrorInvalidValue;
  const int64_t total_chunks = args->k / kChunk;
  // Splits own contiguous chunk ranges of ceil(chunks / split_k); trailing splits may be empty and
  // then write zero partials, so any split_k <= 65535 is correct.
  if (split_k > 1 &&
      (args->workspace == nullptr ||
       args->workspace_bytes < w4a16k_gemv_workspace_bytes(args->m, args->n, split_k))) {
    return cudaErrorInvalidValue;
  }
  Params p;
  p.a = args->a;
  p.lda = args->lda;
  p.w = static_cast<const uint8_t*>(args->packed_w);
  p.scales = args->scales;
  p.zeros = args->zeros;
  p.bias = args->bias;
  p.c = args->c;
  p.ldc = args->ldc;
  p.partial = split_k > 1 ? static_cast<float*>(args->workspace) : nullptr;
  p.m = args->m;
  p.n = args->n;
  p.k = args->k;
  p.group_shift = w4a16::group_shift(args->group_size, args->k);
  if (p.group_shift < 0) return cudaErrorInvalidValue;
  p.chunks_per_split = static_cast<int32_t>((total_chunks + split_k - 1) / split_k);
  p.n_block_base = 0;
  switch (args->dtype) {
    case W4A16K_FP16: return dispatch<half>(p, split_k, stream);
    case W4A16K_BF16: return dispatch<__nv_bfloat16>(p, split_k, stream);
    default: return cudaErrorInvalidValue;
  }
}
