// gemv_tc.cuh — GEMV family, tensor-core variant (configs 1 and 2): C[M,N] = A[M,K] · Wᵀ (+ bias)
// for 2 <= M <= 16 (any M works: M is tiled by MT), memory-bound on the packed weights.
//
// CUDA-core FMAs cannot multiply every streamed weight by up to 16 tokens at HBM rate, so the
// multiply runs on mma.sync.m16n8k16 with SWAPPED operands: the weights are the A operand (16
// output channels x 16 k, dequantized in registers), the tokens are the B operand (16 k x 8
// tokens; MT = 8 or 16 -> NT = 1 or 2 n8 tiles), fp32 accumulators.
//
// The k order inside a mma is free (a dot product is invariant under a permutation of k applied to
// both operands), so each thread's 16-byte weight load feeds its own A-fragment registers:
//   * thread (g = lane/4, t = lane%4) of a warp loads, per 128-k "step", 32 consecutive k
//     [k0 + 32t, k0 + 32t + 32) of channels n + g and n + g + 8 (two LDG.128 per 16-channel tile);
//   * the magic-number conversion turns 32-bit word j (k0+32t+8j .. +7) into the pairs
//     P_i = (nibble i, nibble i+4), i = 0..3; mma (j, h) takes a0a1 = P_2h(row g),
//     a2a3 = P_2h(row g+8), a4a5 = P_2h+1(row g), a6a7 = P_2h+1(row g+8);
//   * so its B fragment needs token g's activations at the same k: b0b1 = (x[2h], x[2h+4]),
//     b2b3 = (x[2h+1], x[2h+5]) of the 8-k sub-block j. The activations are staged in shared memory
//     already in that order (x0 x4 x1 x5 x2 x6 x3 x7 per 8-k sub-block, one prmt per word), so one
//     conflict-free LDS.128 per (token tile, sub-block) yields the B fragments of two mma.
//   * scales (and zeros) are per (channel, 32-k vector) and applied to the dequantized fp16/bf16
//     pairs (HMUL2 / HFMA2) before the mma; fp32 accumulation.
// CTA: 4 warps x 2 tiles x 16 channels = 128 channels; all warps walk the CTA's K range together,
// 512 k (4 steps) per activation stage (double-buffered, one barrier per stage). The weights (4 x
// 16 B per thread per step) and scales stream through a per-warp cp.async ring three steps ahead of
// use, so the loads in flight hold no registers (3 CTAs of 128 threads per SM).
// Split-K (grid.z = split): mode 1 writes fp32 partials to the caller's workspace (the shared
// ordered reduction kernel finishes); mode 2 makes the splits one thread-block cluster (<= 8) and
// reduces the partial tiles through distributed shared memory in rank order. Both deterministic.
#ifndef W4A16_KERNELS_GEMV_GEMV_TC_CUH
#define W4A16_KERNELS_GEMV_GEMV_TC_CUH

#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include "common/int4.cuh"
#include "common/ptx.cuh"

namespace w4a16 {
namespace gemv_tc {

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kTiles = 2;                          // 16-channel mma tiles per warp
constexpr int kRowsPerWarp = 16 * kTiles;
constexpr int kRowsPerCta = kWarps * kRowsPerWarp; // 128
constexpr int kStepK = 128;                        // 4 lanes (t) x 32 k
constexpr int kStageSteps = 4;
constexpr int kStageK = kStageSteps * kStepK;      // 512
constexpr int kMaxCluster = 8;                     // portable cluster size
constexpr int kWStages = kStageSteps;              // cp.async ring: steps of weights per warp

// Dynamic shared memory: activation stages, then the weight ring [slot][piece][thread] (uint4),
// then the scale/zero ring [slot][warp][scales|zeros][t][32 channels] (16-bit).
template <int MT>
constexpr int a_stage_u4() { return kStageSteps * MT * 16; }
constexpr int kWRingU4 = kWStages * 4 * kThreads;
constexpr int kSRingHalves = kWStages * kWarps * 2 * 4 * 32;
template <int MT>
constexpr size_t smem_bytes() {
  return (2 * a_stage_u4<MT>() + kWRingU4) * 16 + kSRingHalves * 2;
}

enum Mode : int32_t { kDirect = 0, kWorkspace = 1, kCluster = 2 };

struct Params {
  const void* a;
  int64_t lda;
  const uint8_t* w;
  const void* scales;
  const void* zeros;
  const void* bias;
  void* c;
  int64_t ldc;
  float* partial;  // mode kWorkspace: [split, m, n]
  int64_t m, n, k;
  int32_t group_shift;
  int32_t steps_per_split;
  int32_t mode;
};

__device__ __forceinline__ uint32_t word_of(const uint4& v, int j) {
  return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
}

// Shared-memory slot (in uint4) of the 8-k sub-block j of lane-column t, token m, step s of a
// stage. A token's step is 16 uint4 = 256 B; the sub-block index is xor-swizzled with the token's
// low bit so that the two tokens of a quarter-warp hit different banks (conflict-free LDS.128).
template <int MT>
__device__ __forceinline__ int slot(int s, int m, int j, int t) {
  return ((s * MT + m) * 4 + (j ^ (m & 1))) * 4 + t;
}

// Template parameters: T = half / __nv_bfloat16; NT = n8 token tiles (MT = 8 NT token rows per CTA;
// rows past M compute on zeros and are not stored); kZeros = additive zeros present.
// Grid: x = ceil(M / MT), y = ceil(N / 128), z = split.
template <typename T, int NT, bool kZeros>
__global__ void __launch_bounds__(kThreads, 3) gemv_tc_kernel(const Params p) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  constexpr int MT = NT * 8;
  constexpr int kStageU4 = a_stage_u4<MT>();
  constexpr int kAPerThread = MT * (kStageK / 8) / kThreads;  // 16-B activation pieces per stage
  static_assert(kAPerThread * kThreads == MT * (kStageK / 8), "stage must split evenly");
  static_assert(MT * kRowsPerCta * 4 <= 2 * kStageU4 * 16, "cluster tile must fit the stages");
  extern __shared__ __align__(16) uint4 smem_u4[];
  uint4* s_a = smem_u4;
  uint4* s_w = smem_u4 + 2 * kStageU4;
  uint16_t* s_s = reinterpret_cast<uint16_t*>(s_w + kWRingU4);

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int g = lane >> 2;
  const int t = lane & 3;
  const int64_t n_cta = static_cast<int64_t>(blockIdx.y) * kRowsPerCta;
  const int64_t n_warp = n_cta + warp * kRowsPerWarp;
  const bool warp_valid = n_warp < p.n;  // N % 64 == 0: a warp's 32 channels are all in or all out
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * MT;
  const int m_valid = static_cast<int>(min(static_cast<int64_t>(MT), p.m - m_base));
  const int split = blockIdx.z;
  const int64_t kb = static_cast<int64_t>(split) * p.steps_per_split * kStepK;
  const int64_t ke = min(p.k, kb + static_cast<int64_t>(p.steps_per_split) * kStepK);
  const int nsteps = ke > kb ? static_cast<int>((ke - kb + kStepK - 1) / kStepK) : 0;
  const int nstages = (nsteps + kStageSteps - 1) / kStageSteps;

  const int64_t w_stride = p.k / 2;
  // Thread's weight bytes for tile r, half hh (channel n_warp + 16r + 8hh + g) at k = kb + 32t.
  const uint8_t* w_base = p.w + (n_warp + g) * w_stride + kb / 2 + 16 * t;
  const T* a_base = static_cast<const T*>(p.a) + m_base * p.lda;

  // ---- activation staging: global (natural order) -> registers -> shared (mma order) ----
  uint4 a_reg[kAPerThread];
  // Piece idx: token m = idx / 64; q = idx % 64 enumerates the stage's slots of that token in
  // shared-memory order (s, swizzled j, t), so a warp's stores are contiguous and its loads cover
  // 512 contiguous bytes of a token row.
  auto piece = [&](int idx, int& m, int& s, int& j, int& tt) {
    m = idx >> 6;
    const int q = idx & 63;
    s = q >> 4;
    j = ((q >> 2) & 3) ^ (m & 1);
    tt = q & 3;
  };
  auto load_a = [&](int st) {
#pragma unroll
    for (int i = 0; i < kAPerThread; ++i) {
      int m, s, j, tt;
      piece(tid + i * kThreads, m, s, j, tt);
      const int64_t k = kb + static_cast<int64_t>(st) * kStageK + s * kStepK + tt * 32 + j * 8;
      a_reg[i] = make_uint4(0u, 0u, 0u, 0u);
      if (m < m_valid && k < ke) a_reg[i] = ldg_128(a_base + m * p.lda + k);
    }
  };
  auto store_a = [&](int buf) {
#pragma unroll
    for (int i = 0; i < kAPerThread; ++i) {
      int m, s, j, tt;
      piece(tid + i * kThreads, m, s, j, tt);
      const uint4 v = a_reg[i];  // (x0x1, x2x3, x4x5, x6x7)
      uint4 o;
      o.x = __byte_perm(v.x, v.z, 0x5410);  // (x0, x4)
      o.y = __byte_perm(v.x, v.z, 0x7632);  // (x1, x5)
      o.z = __byte_perm(v.y, v.w, 0x5410);  // (x2, x6)
      o.w = __byte_perm(v.y, v.w, 0x7632);  // (x3, x7)
      s_a[buf * kStageU4 + slot<MT>(s, m, j, tt)] = o;
    }
  };

  // ---- weight stream: a per-warp cp.async ring, kWStages - 1 steps in flight ahead of use ----
  // Each thread copies (and later reads) its own four 16-B weight pieces; lanes 0..15 copy the
  // warp's scales (4 t x 4 pieces of 8 channels), lanes 16..31 its zeros, read by every lane after
  // the wait and a warp barrier.
  const uint8_t* w_dummy = p.w;  // a valid address for predicated-off copies
  auto issue_step = [&](int step, int slot) {
    const int64_t koff = static_cast<int64_t>(step) * kStepK;  // from kb
    const bool step_ok = warp_valid && step < nsteps;
    const bool ok = step_ok && kb + koff + 32 * t < ke;
#pragma unroll
    for (int pc = 0; pc < 4; ++pc) {
      const int64_t row = 16 * (pc >> 1) + 8 * (pc & 1);
      const void* src = ok ? static_cast<const void*>(w_base + row * w_stride + koff / 2) : w_dummy;
      cp_async_16(smem_addr(s_w + (slot * 4 + pc) * kThreads + tid), src, ok ? 16u : 0u);
    }
    const int sl = lane & 15;
    const int st_t = sl >> 2;
    const int piece = sl & 3;
    const int64_t kt = kb + koff + 32 * st_t;
    const bool okt = step_ok && kt < ke;
    const int64_t grp = (okt ? kt : 0) >> p.group_shift;
    const bool is_zero = lane >= 16;
    if (!is_zero || kZeros) {
      const uint16_t* base = static_cast<const uint16_t*>(is_zero ? p.zeros : p.scales);
      const void* src = okt ? static_cast<const void*>(base + grp * p.n + n_warp + 8 * piece)
                            : static_cast<const void*>(w_dummy);
      uint16_t* dst = s_s + ((slot * kWarps + warp) * 2 + (is_zero ? 1 : 0)) * 128 + st_t * 32 +
                      8 * piece;
      cp_async_16(smem_addr(dst), src, okt ? 16u : 0u);
    }
    cp_async_commit();
  };
  struct StepRegs {
    uint4 w[kTiles][2];
    uint32_t s[kTiles][2];
    uint32_t z[kTiles][2];
  };
  auto read_step = [&](int slot, StepRegs& r) {
    const uint16_t* ss = s_s + ((slot * kWarps + warp) * 2) * 128 + t * 32 + g;
#pragma unroll
    for (int tile = 0; tile < kTiles; ++tile)
#pragma unroll
      for (int hh = 0; hh < 2; ++hh) {
        r.w[tile][hh] = s_w[(slot * 4 + tile * 2 + hh) * kThreads + tid];
        r.s[tile][hh] = ss[16 * tile + 8 * hh];
        r.z[tile][hh] = kZeros ? ss[128 + 16 * tile + 8 * hh] : 0u;
      }
  };

  float acc[kTiles][NT][4];
#pragma unroll
  for (int tile = 0; tile < kTiles; ++tile)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[tile][nt][i] = 0.f;

  auto compute = [&](const StepRegs& r, int buf, int s) {
    const uint4* sb = s_a + buf * kStageU4;
    T2 s2[kTiles][2], z2[kTiles][2];
#pragma unroll
    for (int tile = 0; tile < kTiles; ++tile)
#pragma unroll
      for (int hh = 0; hh < 2; ++hh) {
        s2[tile][hh] = as_pair<T2>(r.s[tile][hh] * 0x10001u);
        z2[tile][hh] = as_pair<T2>(r.z[tile][hh] * 0x10001u);
      }
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      uint4 bq[NT];
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) bq[nt] = sb[slot<MT>(s, nt * 8 + g, j, t)];
#pragma unroll
      for (int tile = 0; tile < kTiles; ++tile) {
        T2 lo[4], hi[4];  // rows g and g + 8
        int4x8_to_pairs<T>(word_of(r.w[tile][0], j), lo);
        int4x8_to_pairs<T>(word_of(r.w[tile][1], j), hi);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          if (kZeros) {
            lo[i] = __hfma2(lo[i], s2[tile][0], z2[tile][0]);
            hi[i] = __hfma2(hi[i], s2[tile][1], z2[tile][1]);
          } else {
            lo[i] = __hmul2(lo[i], s2[tile][0]);
            hi[i] = __hmul2(hi[i], s2[tile][1]);
          }
        }
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const uint32_t a[4] = {as_u32(lo[2 * h]), as_u32(hi[2 * h]), as_u32(lo[2 * h + 1]),
                                 as_u32(hi[2 * h + 1])};
#pragma unroll
          for (int nt = 0; nt < NT; ++nt) {
            const uint32_t b[2] = {h == 0 ? bq[nt].x : bq[nt].z, h == 0 ? bq[nt].y : bq[nt].w};
            mma_m16n8k16<T>(acc[tile][nt], a, b);
          }
        }
      }
    }
  };

  if (nstages > 0) {
    load_a(0);
    store_a(0);
  }
#pragma unroll
  for (int i = 0; i < kWStages - 1; ++i) issue_step(i, i);
  __syncthreads();
#pragma unroll 1
  for (int st = 0; st < nstages; ++st) {
    const int buf = st & 1;
    const bool more = st + 1 < nstages;
    if (more) load_a(st + 1);
#pragma unroll
    for (int s = 0; s < kStageSteps; ++s) {
      static_assert(kWStages == kStageSteps, "ring slot = step within the stage");
      const int step = st * kStageSteps + s;
      __syncwarp();  // every lane is done with the slot the next copy overwrites (step - 1's)
      issue_step(step + kWStages - 1, (s + kWStages - 1) % kWStages);
      cp_async_wait<kWStages - 1>();
      __syncwarp();  // other lanes' scale copies are visible
      if (warp_valid && step < nsteps) {
        StepRegs r;
        read_step(s, r);
        compute(r, buf, s);
      }
    }
    if (more) store_a(buf ^ 1);
    __syncthreads();
  }
  cp_async_wait<0>();

  // ---- epilogue. acc[tile][nt]: c0,c1 = (channel g, tokens 2t, 2t+1), c2,c3 = channel g + 8 ----
  if (p.mode == kCluster) {
    namespace cg = cooperative_groups;
    cg::cluster_group cluster = cg::this_cluster();
    float* red = reinterpret_cast<float*>(s_a);  // [MT][128] fp32; the stages are done (barrier)
#pragma unroll
    for (int tile = 0; tile < kTiles; ++tile)
#pragma unroll
      for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int ch = warp * kRowsPerWarp + 16 * tile + g + 8 * (i >> 1);
          const int m = nt * 8 + 2 * t + (i & 1);
          red[m * kRowsPerCta + ch] = acc[tile][nt][i];
        }
    cluster.sync();
    const int ranks = static_cast<int>(cluster.num_blocks());
    const int rank = static_cast<int>(cluster.block_rank());
    constexpr int kTotal = MT * kRowsPerCta;
    const int chunk = (kTotal / kRowsPerCta + ranks - 1) / ranks * kRowsPerCta;  // whole token rows
    const int e_end = min(kTotal, (rank + 1) * chunk);
    for (int e = rank * chunk + tid; e < e_end; e += kThreads) {
      const int m = e / kRowsPerCta;
      const int ch = e % kRowsPerCta;
      float v = 0.f;
      for (int q = 0; q < ranks; ++q) v += cluster.map_shared_rank(red, q)[e];
      const int64_t n = n_cta + ch;
      if (m < m_valid && n < p.n) {
        if (p.bias != nullptr) v += Tr::to_float(static_cast<const T*>(p.bias)[n]);
        static_cast<T*>(p.c)[(m_base + m) * p.ldc + n] = Tr::from_float(v);
      }
    }
    cluster.sync();  // keep every rank's shared memory alive until all ranks have read it
    return;
  }
  if (!warp_valid) return;
#pragma unroll
  for (int tile = 0; tile < kTiles; ++tile)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t n = n_warp + 16 * tile + g + 8 * (i >> 1);
        const int m = nt * 8 + 2 * t + (i & 1);
        if (m >= m_valid) continue;
        const float v = acc[tile][nt][i];
        if (p.mode == kWorkspace) {
          p.partial[(static_cast<int64_t>(split) * p.m + m_base + m) * p.n + n] = v;
        } else {
          const float b = p.bias != nullptr ? Tr::to_float(static_cast<const T*>(p.bias)[n]) : 0.f;
          static_cast<T*>(p.c)[(m_base + m) * p.ldc + n] = Tr::from_float(v + b);
        }
      }
}

template <typename T, int NT, bool kZeros>
cudaError_t launch_nt(const Params& p, int split, cudaStream_t stream) {
  constexpr int MT = NT * 8;
  const int64_t m_blocks = (p.m + MT - 1) / MT;
  const int64_t n_blocks = (p.n + kRowsPerCta - 1) / kRowsPerCta;
  if (m_blocks > 0x7fffffff || n_blocks > 65535 || split > 65535) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(m_blocks), static_cast<unsigned>(n_blocks),
                  static_cast<unsigned>(split));
  constexpr size_t kSmem = smem_bytes<MT>();
  static const cudaError_t attr_err = cudaFuncSetAttribute(
      gemv_tc_kernel<T, NT, kZeros>, cudaFuncAttributeMaxDynamicSharedMemorySize,
      static_cast<int>(kSmem));  // once per instantiation (thread-safe static initialization)
  if (attr_err != cudaSuccess) return attr_err;
  if (p.mode != kCluster) {
    gemv_tc_kernel<T, NT, kZeros><<<grid, kThreads, kSmem, stream>>>(p);
    return cudaGetLastError();
  }
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = dim3(kThreads);
  cfg.dynamicSmemBytes = kSmem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeClusterDimension;
  attr[0].val.clusterDim.x = 1;
  attr[0].val.clusterDim.y = 1;
  attr[0].val.clusterDim.z = static_cast<unsigned>(split);
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  const cudaError_t err = cudaLaunchKernelEx(&cfg, gemv_tc_kernel<T, NT, kZeros>, p);
  if (err != cudaSuccess) return err;
  return cudaGetLastError();
}

// The instantiation list of the tensor-core GEMV: MT = 8 for M <= 8, MT = 16 otherwise (larger M
// is tiled by 16), x dtype x zeros (bias is a run-time epilogue choice).
template <typename T>
cudaError_t launch(const Params& p, int split, cudaStream_t stream) {
  const bool z = p.zeros != nullptr;
  if (p.m <= 8) {
    return z ? launch_nt<T, 1, true>(p, split, stream) : launch_nt<T, 1, false>(p, split, stream);
  }
  return z ? launch_nt<T, 2, true>(p, split, stream) : launch_nt<T, 2, false>(p, split, stream);
}

}  // namespace gemv_tc
}  // namespace w4a16

#endif  // W4A16_KERNELS_GEMV_GEMV_TC_CUH
