// gemv_tc3.cuh — GEMV family, tensor-core variant gemv.v2.3 (config 3): the math of gemv.v1.2
// (gemv_tc.cuh: same CTA shape, same thread->(channel, k) fragment assignment, same activation
// staging, same cluster split-K), with a different weight DATA MOVEMENT:
//   v1.2 copies, per 128-k step, 4 lanes x 16 B = 64 contiguous bytes of each of 8 rows per warp
//   instruction (every row of the card advanced 64 B at a time, ~1 µs apart);
//   v2.3 copies, per 512-k stage and per 16-channel tile, 16 lanes x 16 B = 256 contiguous bytes of
//   ONE row per half-warp (2 rows per instruction, 8 instructions per lane per tile), into a
//   swizzled [row][16-B chunk] shared layout (chunk c of row r at c ^ 4(r & 1): conflict-free
//   cp.async stores and LDS.128 reads). Thread (g, t) then reads chunk 4s + t of rows g, g + 8
//   for step s — exactly the 16 B it loaded itself in v1.2 — so dequantization and mma are
//   unchanged.
// Weight ring per warp: 2 tile slots (tile 0 = channels 0..15, tile 1 = 16..31 of the warp) x
// 16 rows x 256 B = 8 KB (same shared memory as v1.2: 72 KB at MT = 16, 3 CTAs/SM). Tile T of
// stage st + 1 is issued as soon as tile T of stage st is computed, so while one tile computes the
// other tile's 4 KB is in flight (v1.2: 3 steps = 6 KB per warp).
// Scales/zeros ride in the tile's cp.async group: lane (s, t, piece) copies 8 channels.
#ifndef W4A16_KERNELS_GEMV_GEMV_TC3_CUH
#define W4A16_KERNELS_GEMV_GEMV_TC3_CUH

#include "gemv/gemv_tc.cuh"

namespace w4a16 {
namespace gemv_tc {

template <typename T, int NT, bool kZeros>
__global__ void __launch_bounds__(kThreads, 3) gemv_tc3_kernel(const Params p) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  constexpr int MT = NT * 8;
  constexpr int kStageU4 = a_stage_u4<MT>();
  constexpr int kAPerThread = MT * (kStageK / 8) / kThreads;
  static_assert(kAPerThread * kThreads == MT * (kStageK / 8), "stage must split evenly");
  static_assert(MT * kRowsPerCta * 4 <= 2 * kStageU4 * 16, "cluster tile must fit the stages");
  static_assert(kTiles == 2 && kStageSteps == 4, "v2.3 layout: 2 tiles x 256-B row segments");
  constexpr int kTileU4 = 16 * 16;  // 16 rows x 16 chunks of 16 B
  static_assert(kWarps * kTiles * kTileU4 == kWRingU4, "same weight smem as v1.2");
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
  const bool warp_valid = n_warp < p.n;
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * MT;
  const int m_valid = static_cast<int>(min(static_cast<int64_t>(MT), p.m - m_base));
  const int split = blockIdx.z;
  const int64_t kb = static_cast<int64_t>(split) * p.steps_per_split * kStepK;
  const int64_t ke = min(p.k, kb + static_cast<int64_t>(p.steps_per_split) * kStepK);
  const int nsteps = ke > kb ? static_cast<int>((ke - kb + kStepK - 1) / kStepK) : 0;
  const int nstages = (nsteps + kStageSteps - 1) / kStageSteps;

  const int64_t w_stride = p.k / 2;
  const T* a_base = static_cast<const T*>(p.a) + m_base * p.lda;

  // ---- activation staging: identical to v1.2 ----
  uint4 a_reg[kAPerThread];
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
      const uint4 v = a_reg[i];
      uint4 o;
      o.x = __byte_perm(v.x, v.z, 0x5410);
      o.y = __byte_perm(v.x, v.z, 0x7632);
      o.z = __byte_perm(v.y, v.w, 0x5410);
      o.w = __byte_perm(v.y, v.w, 0x7632);
      s_a[buf * kStageU4 + slot<MT>(s, m, j, tt)] = o;
    }
  };

  // ---- weight stream: per warp and tile, one 512-k stage of 16 rows (256 B each) per group ----
  uint4* s_wt = s_w + warp * kTiles * kTileU4;
  const uint8_t* w_dummy = p.w;
  const int cp_chunk = lane & 15;
  const int cp_row = lane >> 4;
  auto issue_tile = [&](int tile, int st) {
    const bool st_ok = warp_valid && st < nstages;
    if (st_ok) {
      const int64_t kst = kb + static_cast<int64_t>(st) * kStageK;  // stage start
      const bool ok = kst + 32 * cp_chunk < ke;
      const uint8_t* src_row =
          p.w + (n_warp + 16 * tile + cp_row) * w_stride + kst / 2 + 16 * cp_chunk;
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const int lr = 2 * i + cp_row;
        const void* src = ok ? static_cast<const void*>(src_row + 2 * i * w_stride) : w_dummy;
        cp_async_16(smem_addr(s_wt + tile * kTileU4 + lr * 16 + (cp_chunk ^ ((lr & 1) << 2))), src,
                    ok ? 16u : 0u);
      }
      // scales (and zeros): lane = (step s, t, piece of 8 channels within the tile)
      const int ss = lane >> 3;
      const int st_t = (lane >> 1) & 3;
      const int pc = 2 * tile + (lane & 1);
      const int64_t kt = kst + ss * kStepK + 32 * st_t;
      const bool okt = st * kStageSteps + ss < nsteps && kt < ke;
      const int64_t grp = (okt ? kt : 0) >> p.group_shift;
      uint16_t* dst = s_s + ((ss * kWarps + warp) * 2) * 128 + st_t * 32 + 8 * pc;
      cp_async_16(smem_addr(dst),
                  okt ? static_cast<const void*>(static_cast<const uint16_t*>(p.scales) + grp * p.n +
                                                 n_warp + 8 * pc)
                      : static_cast<const void*>(w_dummy),
                  okt ? 16u : 0u);
      if (kZeros) {
        cp_async_16(smem_addr(dst + 128),
                    okt ? static_cast<const void*>(static_cast<const uint16_t*>(p.zeros) +
                                                   grp * p.n + n_warp + 8 * pc)
                        : static_cast<const void*>(w_dummy),
                    okt ? 16u : 0u);
      }
    }
    cp_async_commit();
  };

  float acc[kTiles][NT][4];
#pragma unroll
  for (int tile = 0; tile < kTiles; ++tile)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[tile][nt][i] = 0.f;

  // One tile, one step: read the thread's two 16-B pieces (rows g, g + 8; chunk 4s + t) and the
  // scales, dequantize and mma exactly as v1.2 does.
  auto compute_tile = [&](int tile, int buf, int s) {
    const uint4* sw = s_wt + tile * kTileU4;
    const int c = (4 * s + t) ^ ((g & 1) << 2);  // rows g and g + 8 share the parity of g
    const uint4 w0 = sw[g * 16 + c];
    const uint4 w1 = sw[(g + 8) * 16 + c];
    const uint16_t* ss = s_s + ((s * kWarps + warp) * 2) * 128 + t * 32 + g + 16 * tile;
    const uint32_t sc0 = ss[0], sc1 = ss[8];
    const uint32_t zc0 = kZeros ? ss[128] : 0u, zc1 = kZeros ? ss[128 + 8] : 0u;
    const T2 s20 = as_pair<T2>(sc0 * 0x10001u), s21 = as_pair<T2>(sc1 * 0x10001u);
    const T2 z20 = as_pair<T2>(zc0 * 0x10001u), z21 = as_pair<T2>(zc1 * 0x10001u);
    const uint4* sb = s_a + buf * kStageU4;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      uint4 bq[NT];
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) bq[nt] = sb[slot<MT>(s, nt * 8 + g, j, t)];
      T2 lo[4], hi[4];
      int4x8_to_pairs<T>(word_of(w0, j), lo);
      int4x8_to_pairs<T>(word_of(w1, j), hi);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        if (kZeros) {
          lo[i] = __hfma2(lo[i], s20, z20);
          hi[i] = __hfma2(hi[i], s21, z21);
        } else {
          lo[i] = __hmul2(lo[i], s20);
          hi[i] = __hmul2(hi[i], s21);
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
  };

  if (nstages > 0) {
    load_a(0);
    store_a(0);
  }
  issue_tile(0, 0);
  issue_tile(1, 0);
  __syncthreads();
#pragma unroll 1
  for (int st = 0; st < nstages; ++st) {
    const int buf = st & 1;
    const bool more = st + 1 < nstages;
    if (more) load_a(st + 1);
#pragma unroll
    for (int tile = 0; tile < kTiles; ++tile) {
      cp_async_wait<1>();  // this tile's group of stage st has landed (the other may be in flight)
      __syncwarp();        // other lanes' copies are visible
      if (warp_valid) {
#pragma unroll
        for (int s = 0; s < kStageSteps; ++s) {
          if (st * kStageSteps + s < nsteps) compute_tile(tile, buf, s);
        }
      }
      __syncwarp();  // every lane is done with the tile slot before it is overwritten
      issue_tile(tile, st + 1);
    }
    if (more) store_a(buf ^ 1);
    __syncthreads();
  }
  cp_async_wait<0>();

  // ---- epilogue: identical to v1.2 ----
  if (p.mode == kCluster) {
    namespace cg = cooperative_groups;
    cg::cluster_group cluster = cg::this_cluster();
    float* red = reinterpret_cast<float*>(s_a);
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
    const int chunk = (kTotal / kRowsPerCta + ranks - 1) / ranks * kRowsPerCta;
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
    cluster.sync();
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
cudaError_t launch3_nt(const Params& p, int split, cudaStream_t stream) {
  constexpr int MT = NT * 8;
  const int64_t m_blocks = (p.m + MT - 1) / MT;
  const int64_t n_blocks = (p.n + kRowsPerCta - 1) / kRowsPerCta;
  if (m_blocks > 0x7fffffff || n_blocks > 65535 || split > 65535) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(m_blocks), static_cast<unsigned>(n_blocks),
                  static_cast<unsigned>(split));
  constexpr size_t kSmem = smem_bytes<MT>();
  const cudaError_t attr_err =
      ensure_dynamic_smem<gemv_tc3_kernel<T, NT, kZeros>>(static_cast<int>(kSmem));
  if (attr_err != cudaSuccess) return attr_err;
  if (p.mode != kCluster) {
    gemv_tc3_kernel<T, NT, kZeros><<<grid, kThreads, kSmem, stream>>>(p);
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
  const cudaError_t err = cudaLaunchKernelEx(&cfg, gemv_tc3_kernel<T, NT, kZeros>, p);
  if (err != cudaSuccess) return err;
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch3(const Params& p, int split, cudaStream_t stream) {
  const bool z = p.zeros != nullptr;
  if (p.m <= 8) {
    return z ? launch3_nt<T, 1, true>(p, split, stream) : launch3_nt<T, 1, false>(p, split, stream);
  }
  return z ? launch3_nt<T, 2, true>(p, split, stream) : launch3_nt<T, 2, false>(p, split, stream);
}

}  // namespace gemv_tc
}  // namespace w4a16

#endif  // W4A16_KERNELS_GEMV_GEMV_TC3_CUH
