// mma.cu — tensor-core family (mma.sync m16n8k16, fp32 accumulators) for larger M.
//
// Reads packed layout v2 only (common/layout.cuh): W in 16-row x 64-k tiles of 512 contiguous
// bytes, K-first. This family serves prefill where the SM90 family cannot (group size 32) and
// is its fallback, so it must read the one storage v2 was designed for (the wgmma path).
//
// CTA tile BM (tokens) x BN (output channels) x BK = 64, double-buffered in shared memory.
// Per stage:
//   * A tile [BM][64] by cp.async (rows past M zero-filled);
//   * the raw int4 weight tile, BN channels x 64 k = BN/16 packed tiles (one per 16-row block,
//     512 contiguous bytes each), by cp.async (16 B = one slot = 32 weights per copy; a warp
//     copies one whole tile, so the global reads are fully coalesced; tiles past N are
//     zero-filled, with scale 0, and dequantize to 0), so prefetched weights cost no registers;
//   * the dequantized weight tile [BN][64] in dtype, written by the thread that copied the raw
//     slot ((q-8)·s (+z) from exact operands, one rounding), stored [n][k] (k contiguous) — the
//     same shape as A, so both operands come back with non-transposed ldmatrix.
// Every 16-byte chunk of a 128-byte row is xor-swizzled by (row & 7): ldmatrix's eight row
// addresses (same logical chunk, eight consecutive rows) then hit eight different bank groups.
// Why the dequantized stores are 32-bit: a v2 slot s = 4g + c holds, per word j, the pairs
// (k, k+1) and (k+8, k+9), k = 16j + 2c, of rows g and g+8 — never 8 consecutive k of a row — so
// the copying thread scatters 16 pairs. Pair e of word j of lane (g, c) goes to chunk
// m = 2j + (e>>1), bank 4·(m^g) + c: conflict-free, and the same 16 wavefronts per slot as v1's
// four 16-byte stores. The swizzle is then an xor of the chunk bits of a 128-aligned per-slot
// base, so the dequantized stages must stay 128-aligned (static_asserts, .align 128 smem).
// The slot words are exactly the mma B fragments of rows g / g+8, but feeding them straight from
// registers would make the WM = 2 config dequantize every weight twice; one dequantization into
// the shared [n][k] tile, read back by ldmatrix, keeps the mma loop unchanged.
// Why scales travel through the quad: a slot spans two rows and both 32-k halves (two groups when
// group_size == 32), i.e. four scale/zero pairs, and the four lanes c = 0..3 of a quad share the
// same rows. Lane c fetches the one of row g + 8(c&1), k-half c>>1 (one load per copy, like v1)
// and dequantize gathers the four with shuffles, so the registers held across the mma stay one
// scale + one zero per copy.
// Iteration t: issue copies for t+1 -> mma on stage t -> wait own copies, dequantize t+1 ->
// barrier. The stage filled during iteration t was last read during iteration t-1, before its
// barrier; a thread dequantizes only the raw slots it copied itself, so cp.async.wait_group
// suffices there (the shuffles exchange registers, not shared memory).
//
// Fragment layouts of mma.m16n8k16 (groupID = lane / 4, tig = lane % 4):
//   A (16x16, row-major, m x k), as (row, col):
//       a0,a1 = (groupID, 2tig+{0,1})     a2,a3 = (groupID+8, 2tig+{0,1})
//       a4,a5 = (groupID, 2tig+8+{0,1})   a6,a7 = (groupID+8, 2tig+8+{0,1})
//   B (16x8, "col", k x n), as (k, n):
//       b0,b1 = (2tig+{0,1}, groupID)     b2,b3 = (2tig+8+{0,1}, groupID)
//   C (16x8, m x n), as (row, col):
//       c0,c1 = (groupID, 2tig+{0,1})     c2,c3 = (groupID+8, 2tig+{0,1})
// ldmatrix.x4 gives register j = matrix j's (row lane/4, cols 2*(lane%4)+{0,1}); lane i addresses
// row (i%8) of matrix (i/8). Hence:
//   A: matrix j = rows (j&1)*8.., k (j>>1)*8..  ->  r0=a0a1, r1=a2a3, r2=a4a5, r3=a6a7.
//   B (stored [n][k]): matrix j = n (j>>1)*8.., k (j&1)*8..  ->  r0,r1 = b0b1,b2b3 of n-tile 0,
//                                                               r2,r3 = b0b1,b2b3 of n-tile 1.
#include <cuda_runtime.h>

#include "common/int4.cuh"
#include "common/layout.cuh"
#include "common/launch_util.cuh"
#include "common/ptx.cuh"
#include "launch.h"

namespace w4a16 {
namespace mma {

constexpr int kBK = 64;            // k per tile: 128-byte smem rows (8 swizzled 16-byte chunks)
constexpr int kStages = 2;
constexpr int kGroupM = 8;         // CTA rasterization: kGroupM M-tiles share each N-tile in turn

// Tile configurations (args->config): BM x BN CTA tile, WM x WN warps.
// kMinCtas: CTAs per SM the register allocation must allow (__launch_bounds__).
template <int BM_, int BN_, int WM_, int WN_, int kMinCtas_>
struct Tile {
  static constexpr int BM = BM_, BN = BN_, WM = WM_, WN = WN_, kMinCtas = kMinCtas_;
  static constexpr int kThreads = 32 * WM * WN;
  static constexpr int kWarpM = BM / WM;          // tokens per warp
  static constexpr int kWarpN = BN / WN;          // channels per warp
  static constexpr int kMTiles = kWarpM / 16;     // m16 tiles per warp
  static constexpr int kNTiles = kWarpN / 8;      // n8 tiles per warp
  static constexpr int kALoads = BM * (kBK / 8) / kThreads;  // 16-byte cp.async per thread per tile
  static constexpr int kWLoads = BN * 2 / kThreads;          // 16-byte weight copies per thread
  static constexpr int kABytes = BM * kBK * 2;        // A tile, dtype
  static constexpr int kBBytes = BN * kBK * 2;        // dequantized weights, dtype
  static constexpr int kRawBytes = BN * kBK / 2;      // raw int4 weights
  static constexpr int kStageBytes = kABytes + kBBytes + kRawBytes;
  static constexpr int kSmemBytes = kStages * kStageBytes;
  static_assert(kWarpM % 16 == 0 && kWarpN % 16 == 0, "warp tile must be whole ldmatrix.x4 loads");
  static_assert(BM * (kBK / 8) % kThreads == 0 && BN * 2 % kThreads == 0, "load split");
  static_assert(kThreads % 32 == 0 && BN % 16 == 0, "a warp copies whole 16-row packed tiles");
  static_assert(kABytes % 128 == 0 && kBBytes % 128 == 0 && kStageBytes % 128 == 0,
                "dequantized tiles must stay 128-aligned (xor-swizzled store addresses)");
};
using Tile128x128 = Tile<128, 128, 2, 4, 2>;  // config 0: 256 threads, warp tile 64x32
using Tile64x128 = Tile<64, 128, 1, 4, 4>;    // config 1: 128 threads, warp tile 64x32
using Tile32x128 = Tile<32, 128, 1, 4, 4>;    // config 2: 128 threads, warp tile 32x32

struct Params {
  const void* a;
  int64_t lda;
  const uint8_t* w;
  const void* scales;
  const void* zeros;
  const void* bias;
  void* c;
  int64_t ldc;
  int64_t m, n, k;
  int32_t group_shift;  // group index = k >> group_shift (see group_shift())
  int32_t m_tiles, n_tiles;
};

// Byte offset of 16-byte chunk `chunk` (0..7) of row `row` in a [rows][64] b16 tile.
__host__ __device__ __forceinline__ uint32_t swz(int row, int chunk) {
  return static_cast<uint32_t>(row * 128 + ((chunk ^ (row & 7)) << 4));
}

// ---- v2 weight-slot index math (host/device so that a host program can check it against
// layout::weight_position) ----
// Weight copy i of thread tid is copy idx = tid + threads*i: packed tile idx/32 of the CTA's BN
// channels (rows 16*tile..), slot idx%32 = tid%32 (threads % 32 == 0), so a warp copies whole
// 512-byte tiles.
__host__ __device__ __forceinline__ int w_copy_tile(int tid, int i, int threads) {
  return (tid >> 5) + (threads >> 5) * i;
}
// Byte offset in the packed matrix of slot `slot` of the tile holding rows n0 + 16*tile.., at k
// tile 0 (k tile kb is kb * layout::kTileBytes further: a 16-row block is one K-first stream).
__host__ __device__ __forceinline__ int64_t w_copy_src(int64_t n0, int tile, int slot, int64_t k) {
  return layout::slot_offset(n0 + int64_t{16} * tile, 0, slot, k);
}
// Scale/zero that lane `slot` (= 4g + c) fetches for its quad: row g + 8*(c&1) of its tile (row
// half c&1), k half c>>1 of the 64-k tile (k 0..31 or 32..63: one group, as group_size >= 32).
__host__ __device__ __forceinline__ int w_scale_row(int slot) {
  return (slot >> 2) + 8 * (slot & 1);
}
__host__ __device__ __forceinline__ int w_scale_khalf(int slot) { return (slot >> 1) & 1; }
// Lane within the quad holding the scale of row half rh (0: row g, 1: row g+8), k half h.
__host__ __device__ __forceinline__ int w_scale_lane(int rh, int h) { return 2 * h + rh; }
// Pair e (0..3) of word j (0..3) of slot `slot` (= 4g + c), as int4x8_to_pairs returns it:
// row g + 8*(e&1) of the tile, k = 16j + 2c + 8*(e>>1) and k+1 of the 64-k tile, k half j>>1.
// Byte offset of that (row, k) in the swizzled [BN][64] b16 tile: chunk 2j + (e>>1), element
// 2c of it, and row & 7 == g.
__host__ __device__ __forceinline__ uint32_t w_pair_dst(int tile, int slot, int j, int e) {
  const int g = slot >> 2, c = slot & 3;
  return static_cast<uint32_t>((16 * tile + g + 8 * (e & 1)) * 128 +
                               (((2 * j + (e >> 1)) ^ g) << 4) + 4 * c);
}
// The same address as the kernel forms it, with one base register per stage: for a 128-aligned
// `base` = tile start + w_slot_base(tile, slot), the swizzle is an xor on bits 4..6 (the chunk),
// and the row half (+8 rows = +1024) and copy offsets (multiples of 2048) are added after it,
// which commutes with that xor. w_pair_addr(sB + w_slot_base(t, s), j, e) + 2048*d ==
// sB + w_pair_dst(t + d, s, j, e) (checked on the host).
__host__ __device__ __forceinline__ uint32_t w_slot_base(int tile, int slot) {
  const int g = slot >> 2, c = slot & 3;
  return static_cast<uint32_t>((16 * tile + g) * 128 + (g << 4) + 4 * c);
}
__host__ __device__ __forceinline__ uint32_t w_pair_addr(uint32_t base, int j, int e) {
  return (base ^ static_cast<uint32_t>((2 * j + (e >> 1)) << 4)) + 1024u * (e & 1);
}

// Template parameters:
//   T      : half or __nv_bfloat16 (A, scales, zeros, bias, C).
//   Cfg    : Tile<...> (CTA/warp tiling).
//   kZeros : additive zeros present.   kBias : bias present.
// Grid: x = m_tiles * n_tiles (1-D, grouped rasterization), block = Cfg::kThreads,
// dynamic smem = Cfg::kSmemBytes.
template <typename T, typename Cfg, bool kZeros, bool kBias>
__global__ void __launch_bounds__(Cfg::kThreads, Cfg::kMinCtas) w4a16_mma_kernel(const Params p) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  constexpr int BM = Cfg::BM, BN = Cfg::BN;
  extern __shared__ __align__(128) uint8_t smem[];

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int warp_m = warp / Cfg::WN;
  const int warp_n = warp % Cfg::WN;

  // Grouped rasterization: consecutive CTAs walk kGroupM M-tiles down one N-tile column, so the
  // weight tile and the A rows of a group stay in L2 across the CTAs that share them.
  int m_tile, n_tile;
  {
    const int pid = blockIdx.x;
    const int width = kGroupM * p.n_tiles;
    const int first_m = (pid / width) * kGroupM;
    const int gsize = min(p.m_tiles - first_m, kGroupM);
    const int in_group = pid % width;
    m_tile = first_m + in_group % gsize;
    n_tile = in_group / gsize;
  }
  const int64_t m0 = static_cast<int64_t>(m_tile) * BM;
  const int64_t n0 = static_cast<int64_t>(n_tile) * BN;

  const uint32_t smem_base = smem_addr(smem);
  auto sA = [&](int stage) { return smem_base + stage * Cfg::kStageBytes; };
  auto sB = [&](int stage) { return smem_base + stage * Cfg::kStageBytes + Cfg::kABytes; };
  auto sW = [&](int stage) {
    return smem_base + stage * Cfg::kStageBytes + Cfg::kABytes + Cfg::kBBytes;
  };

  // ---- per-thread load assignments (fixed for the whole k loop) ----
  // A: 16-byte chunk idx = tid + kThreads*i -> row idx/8, chunk idx%8 (8 threads per 128-byte row).
  // kThreads/8 is a multiple of 8, so every i has the same chunk and the same row & 7: one swizzled
  // offset plus a constant per i, and one global pointer plus i rows.
  constexpr int kARowStep = Cfg::kThreads / 8;
  static_assert(kARowStep % 8 == 0, "A row step must keep row & 7");
  const int a_row0 = tid >> 3;
  const uint32_t a_dst0 = swz(a_row0, tid & 7);
  // One global pointer per copy, advanced by one tile per issue. Rows past M point at the CTA's
  // first row (which exists) and copy with a zero-fill size; channels past N likewise.
  const int32_t n0_32 = static_cast<int32_t>(n0);
  const T* a_ptr[Cfg::kALoads];
  uint32_t a_ok = 0;  // bit i: this thread's A row i is < M
#pragma unroll
  for (int i = 0; i < Cfg::kALoads; ++i) {
    const bool ok = m0 + a_row0 + i * kARowStep < p.m;
    a_ok |= (ok ? 1u : 0u) << i;
    a_ptr[i] = static_cast<const T*>(p.a) + (m0 + (ok ? a_row0 + i * kARowStep : 0)) * p.lda +
               (tid & 7) * 8;
  }
  // W: 16-byte copy i -> slot `lane` of packed tile w_tile(i) (rows n0 + 16*w_tile(i) ..). N % 16
  // == 0, so a tile is wholly in or past N; tiles past N (BN may exceed the N left) copy with a
  // zero-fill size from an address that exists (the CTA's first tile). Each pointer walks its
  // 16-row block's K-first stream, one 512-byte tile per k tile.
  constexpr int kWTileStep = Cfg::kThreads / 32;  // tiles between a thread's copies
  auto w_tile = [&](int i) { return w_copy_tile(tid, i, Cfg::kThreads); };
  const uint8_t* w_ptr[Cfg::kWLoads];
  uint32_t w_ok = 0;  // bit i: this thread's weight tile i is < N
#pragma unroll
  for (int i = 0; i < Cfg::kWLoads; ++i) {
    const bool ok = n0 + 16 * w_tile(i) < p.n;
    w_ok |= (ok ? 1u : 0u) << i;
    w_ptr[i] = p.w + w_copy_src(n0, ok ? w_tile(i) : 0, lane, p.k);
  }

  // Copies of the next tile into `stage`: A rows and raw weight chunks; one commit group per tile.
  auto issue_copies = [&](int stage) {
#pragma unroll
    for (int i = 0; i < Cfg::kALoads; ++i) {
      cp_async_16(sA(stage) + a_dst0 + i * kARowStep * 128, a_ptr[i], ((a_ok >> i) & 1u) * 16u);
      a_ptr[i] += kBK;
    }
#pragma unroll
    for (int i = 0; i < Cfg::kWLoads; ++i) {
      cp_async_16(sW(stage) + (tid + Cfg::kThreads * i) * 16, w_ptr[i], ((w_ok >> i) & 1u) * 16u);
      w_ptr[i] += layout::kTileBytes;
    }
    cp_async_commit();
  };
  // Scale/zero bits of tile kt: this lane's share of its quad's four (w_scale_row/w_scale_khalf),
  // loaded early and held across the mma. Copy i's row is 16*kWTileStep*i past copy 0's: one row
  // base and immediate offsets (the 64x128 config with zeros is at the 128-register cap).
  const int32_t sc_row0 = n0_32 + 16 * w_tile(0) + w_scale_row(lane);
  const int sc_k = w_scale_khalf(lane) * (kBK / 2);
  uint32_t s_raw[Cfg::kWLoads], z_raw[Cfg::kWLoads];
  auto load_scales = [&](int kt) {
    const int32_t g = (kt * kBK + sc_k) >> p.group_shift;
    const int64_t off = static_cast<int64_t>(g) * p.n + sc_row0;
    const unsigned short* sp = reinterpret_cast<const unsigned short*>(p.scales) + off;
    const unsigned short* zp = kZeros ? reinterpret_cast<const unsigned short*>(p.zeros) + off
                                      : nullptr;  // (no arithmetic on a null p.zeros)
#pragma unroll
    for (int i = 0; i < Cfg::kWLoads; ++i) {
      s_raw[i] = 0u;
      z_raw[i] = 0u;
      if ((w_ok >> i) & 1u) {
        s_raw[i] = __ldg(sp + 16 * kWTileStep * i);
        if (kZeros) z_raw[i] = __ldg(zp + 16 * kWTileStep * i);
      }
    }
  };
  // Raw slot (this thread's own copy) -> dtype, each pair at its (n, k) of the swizzled sB.
  // Every lane of the warp runs this (shuffles).
  auto dequantize = [&](int stage) {
#pragma unroll
    for (int i = 0; i < Cfg::kWLoads; ++i) {
      uint4 raw;
      asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                   : "=r"(raw.x), "=r"(raw.y), "=r"(raw.z), "=r"(raw.w)
                   : "r"(sW(stage) + (tid + Cfg::kThreads * i) * 16)
                   : "memory");
      // (scale | zero << 16) of the quad's (row half, k half), broadcast into pairs per k half
      // just before its two words (keeps 4 registers live, not 8, beside the accumulators).
      const uint32_t sz = kZeros ? __byte_perm(s_raw[i], z_raw[i], 0x5410) : s_raw[i];
      const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
      // 128-aligned tile (static_asserts on the stage layout, .align 128 smem) + this slot.
      const uint32_t dst0 = sB(stage) + w_slot_base(w_tile(0), lane);
      const uint32_t copy_off = 16u * 128u * kWTileStep * i;  // rows of copy i past copy 0
#pragma unroll
      for (int h = 0; h < 2; ++h) {  // k half h = words 2h, 2h+1 (one group)
        T2 s2[2], z2[2];  // [row half]
#pragma unroll
        for (int rh = 0; rh < 2; ++rh) {
          const uint32_t v = __shfl_sync(0xffffffffu, sz, w_scale_lane(rh, h), 4);
          s2[rh] = as_pair<T2>(__byte_perm(v, 0u, 0x1010));
          z2[rh] = as_pair<T2>(__byte_perm(v, 0u, 0x3232));
        }
#pragma unroll
        for (int j = 2 * h; j < 2 * h + 2; ++j) {  // word j: k 16j + 2c + {0, 1, 8, 9}
          T2 q[4];
          int4x8_to_pairs<T>(words[j], q);
#pragma unroll
          for (int e = 0; e < 4; ++e) {  // pair e: row half e & 1, k + 8*(e >> 1)
            const T2 v = kZeros ? __hfma2(q[e], s2[e & 1], z2[e & 1]) : __hmul2(q[e], s2[e & 1]);
            asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(w_pair_addr(dst0, j, e) + copy_off),
                         "r"(as_u32(v))
                         : "memory");
          }
        }
      }
    }
  };

  // ---- per-lane ldmatrix addresses ----
  // Lane i addresses row (i % 8) of matrix (i / 8). Every other row term is a multiple of 8, so the
  // row's swizzle key is r8 and chunk (2*ks + c) lands at ((c ^ r8) ^ 2ks): one xor per k16 step.
  const int j8 = lane >> 3, r8 = lane & 7;
  const uint32_t a_ld_row = (warp_m * Cfg::kWarpM + (j8 & 1) * 8 + r8) * 128;  // + mt*16 rows
  const uint32_t a_ld_key = (j8 >> 1) ^ r8;
  const uint32_t b_ld_row = (warp_n * Cfg::kWarpN + (j8 >> 1) * 8 + r8) * 128;  // + np*16 rows
  const uint32_t b_ld_key = (j8 & 1) ^ r8;

  float acc[Cfg::kMTiles][Cfg::kNTiles][4];
#pragma unroll
  for (int mt = 0; mt < Cfg::kMTiles; ++mt)
#pragma unroll
    for (int nt = 0; nt < Cfg::kNTiles; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mt][nt][e] = 0.f;

  const int k_tiles = static_cast<int>(p.k / kBK);

  issue_copies(0);
  load_scales(0);
  cp_async_wait<0>();
  dequantize(0);
  __syncthreads();

  for (int kt = 0; kt < k_tiles; ++kt) {
    const int cur = kt & 1;
    const bool more = kt + 1 < k_tiles;
    if (more) {
      issue_copies(cur ^ 1);
      load_scales(kt + 1);
    }
#pragma unroll
    for (int ks = 0; ks < kBK / 16; ++ks) {
      // All B fragments of the k16 step first, then one A fragment at a time: 4 live A registers
      // instead of 4 * kMTiles keeps the 64 accumulators and the prefetched weights in 128.
      uint32_t bf[Cfg::kNTiles][2];
#pragma unroll
      for (int np = 0; np < Cfg::kNTiles / 2; ++np) {
        uint32_t r[4];
        ldmatrix_x4(r, sB(cur) + b_ld_row + np * 16 * 128 + ((b_ld_key ^ (2 * ks)) << 4));
        bf[2 * np][0] = r[0];
        bf[2 * np][1] = r[1];
        bf[2 * np + 1][0] = r[2];
        bf[2 * np + 1][1] = r[3];
      }
#pragma unroll
      for (int mt = 0; mt < Cfg::kMTiles; ++mt) {
        uint32_t af[4];
        ldmatrix_x4(af, sA(cur) + a_ld_row + mt * 16 * 128 + ((a_ld_key ^ (2 * ks)) << 4));
#pragma unroll
        for (int nt = 0; nt < Cfg::kNTiles; ++nt) mma_m16n8k16<T>(acc[mt][nt], af, bf[nt]);
      }
    }
    if (more) {
      cp_async_wait<0>();
      dequantize(cur ^ 1);
    }
    __syncthreads();
  }

  // ---- epilogue: c0,c1 -> (row groupID, cols 2tig, 2tig+1); c2,c3 -> row groupID+8 ----
  const int group_id = lane >> 2, tig = lane & 3;
  T* c = static_cast<T*>(p.c);
#pragma unroll
  for (int nt = 0; nt < Cfg::kNTiles; ++nt) {
    const int64_t col = n0 + warp_n * Cfg::kWarpN + nt * 8 + tig * 2;
    if (col >= p.n) continue;
    float b0 = 0.f, b1 = 0.f;
    if (kBias) {
      const T* bias = static_cast<const T*>(p.bias) + col;
      const float2 b =
          Tr::to_float2(as_pair<T2>(__ldg(reinterpret_cast<const unsigned int*>(bias))));
      b0 = b.x;
      b1 = b.y;
    }
#pragma unroll
    for (int mt = 0; mt < Cfg::kMTiles; ++mt) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t row = m0 + warp_m * Cfg::kWarpM + mt * 16 + group_id + h * 8;
        if (row < p.m) {
          const T2 v = Tr::from_float2(acc[mt][nt][2 * h] + b0, acc[mt][nt][2 * h + 1] + b1);
          *reinterpret_cast<T2*>(c + row * p.ldc + col) = v;
        }
      }
    }
  }
}

template <typename T, typename Cfg, bool kZeros, bool kBias>
cudaError_t launch(Params p, cudaStream_t stream) {
  const int64_t m_tiles = (p.m + Cfg::BM - 1) / Cfg::BM;
  const int64_t n_tiles = (p.n + Cfg::BN - 1) / Cfg::BN;
  // The rasterization and the row indices are int32.
  if (m_tiles * n_tiles + kGroupM * n_tiles > 0x7fffffff) return cudaErrorInvalidValue;
  if (m_tiles * Cfg::BM > 0x7fffffff || n_tiles * Cfg::BN > 0x7fffffff) {
    return cudaErrorInvalidValue;
  }
  p.m_tiles = static_cast<int32_t>(m_tiles);
  p.n_tiles = static_cast<int32_t>(n_tiles);
  const int64_t ctas = m_tiles * n_tiles;
  auto kernel = w4a16_mma_kernel<T, Cfg, kZeros, kBias>;
  if (Cfg::kSmemBytes > 48 * 1024) {
    const cudaError_t err =
        ensure_dynamic_smem<w4a16_mma_kernel<T, Cfg, kZeros, kBias>>(Cfg::kSmemBytes);
    if (err != cudaSuccess) return err;
  }
  kernel<<<static_cast<unsigned>(ctas), Cfg::kThreads, Cfg::kSmemBytes, stream>>>(p);
  return cudaGetLastError();
}

// The instantiation list: dtype x config x zeros x bias.
template <typename T, typename Cfg>
cudaError_t dispatch_flags(const Params& p, cudaStream_t stream) {
  const bool z = p.zeros != nullptr, b = p.bias != nullptr;
  if (z) return b ? launch<T, Cfg, true, true>(p, stream) : launch<T, Cfg, true, false>(p, stream);
  return b ? launch<T, Cfg, false, true>(p, stream) : launch<T, Cfg, false, false>(p, stream);
}

template <typename T>
cudaError_t dispatch_config(const Params& p, int config, cudaStream_t stream) {
  switch (config) {
    case 0: return dispatch_flags<T, Tile128x128>(p, stream);
    case 1: return dispatch_flags<T, Tile64x128>(p, stream);
    case 2: return dispatch_flags<T, Tile32x128>(p, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace mma
}  // namespace w4a16

extern "C" cudaError_t w4a16k_mma(const w4a16k_gemm_args* args, cudaStream_t stream) {
  using namespace w4a16::mma;
  if (args == nullptr) return cudaErrorInvalidValue;
  // No split-K in this family.
  if (args->split_k > 1) return cudaErrorInvalidValue;
  if (args->m <= 0) return cudaSuccess;
  Params p;
  p.a = args->a;
  p.lda = args->lda;
  p.w = static_cast<const uint8_t*>(args->packed_w);
  p.scales = args->scales;
  p.zeros = args->zeros;
  p.bias = args->bias;
  p.c = args->c;
  p.ldc = args->ldc;
  p.m = args->m;
  p.n = args->n;
  p.k = args->k;
  p.group_shift = w4a16::group_shift(args->group_size, args->k);
  if (p.group_shift < 0) return cudaErrorInvalidValue;
  p.m_tiles = p.n_tiles = 0;
  switch (args->dtype) {
    case W4A16K_FP16: return dispatch_config<half>(p, args->config, stream);
    case W4A16K_BF16: return dispatch_config<__nv_bfloat16>(p, args->config, stream);
    default: return cudaErrorInvalidValue;
  }
}
