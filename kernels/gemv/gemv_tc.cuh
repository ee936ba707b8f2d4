// gemv_tc.cuh — GEMV family, tensor-core variant (configs 1 and 2): C[M,N] = A[M,K] · Wᵀ (+ bias)
// for 2 <= M <= 16 (any M works: M is tiled by MT), memory-bound on the packed weights.
//
// CUDA-core FMAs cannot multiply every streamed weight by up to 16 tokens at HBM rate, so the
// multiply runs on mma.sync.m16n8k16 with SWAPPED operands: the weights are the A operand (16
// output channels x 16 k, dequantized in registers), the tokens are the B operand (16 k x 8
// tokens; MT = 8 or 16 -> NT = 1 or 2 n8 tiles), fp32 accumulators.
//
// Weights: packed layout v2 (common/layout.cuh). Its 16-row x 64-k tiles are stored so that lane
// (g, c)'s 16-byte slot IS its A fragments (a0a1, a2a3, a4a5, a6a7 = word j through
// int4x8_to_pairs) for the four k16 sub-blocks j of one 16-row tile, so per 64-k tile and 16-row
// block each lane issues exactly one 16-byte copy and a warp copies 512
// contiguous bytes (a 16-row block is one contiguous stream of 8K bytes). Nothing is permuted
// after the load, which is why the layout was chosen; K only needs to be a multiple of 64.
//
// Activations: because the weight fragments are in mma order, the B fragments are in NATURAL k
// order (b0b1 = x[k0+2c, +1] of token g, b2b3 = x[k0+2c+8, +9]). The tokens are therefore staged
// as plain [MT][512 k] rows, copied global -> shared with cp.async (no registers, no repacking),
// and read with ldmatrix.x4 (four 8x8 matrices at k0, +8, +16, +24 = the B fragments of two k16
// sub-blocks). Each 16-byte chunk of a token row is xor-swizzled by (token & 7) so the eight
// rows of an 8x8 matrix fall in eight different bank groups (conflict-free LDSM).
//
// Scales (and zeros) are per (channel, group) and applied to the dequantized fp16/bf16 pairs
// (HMUL2 / HFMA2) before the mma, rows g and g+8 each with their own; a 64-k step spans two
// groups only for group 32 (sub-blocks 0,1 vs 2,3), so the second 32-k half of the scales is only
// copied then (group_shift == 5) — larger groups cost half the scale traffic. With two tiles per
// step (NT = 1) the second tile's scales are copied and loaded only when it starts a new group.
//
// CTA: 4 warps x 2 tiles x 16 channels = 128 channels; all warps walk the CTA's K range together,
// 512 k per activation stage (double-buffered, one barrier per stage). Weights and scales stream
// through a per-warp cp.async ring (Ring<NT>): at NT = 2 a ring step is one 64-k tile (2 x 16 B
// per lane), 8 slots issued 7 steps ahead (7 KB per warp in flight); at NT = 1 (M <= 8, where the
// per-step fixed costs show) a step is two 64-k tiles, 4 slots issued 3 steps ahead (6 KB per
// warp; 72-84 KB per SM at 3 CTAs) — the loads in flight hold no registers, which is what lets 3
// CTAs of 128 threads share an SM at <= 168 registers. Same shared memory either way. The 16-token
// kernel also comes with kOcc = 4 (GEMV config 3): a 4-slot ring (3 KB per warp in flight), 51 KB
// of shared memory and <= 128 registers, so 4 CTAs share an SM (16 warps, 48 KB in flight).
// Addresses are kept cheap: global weight sources are a per-stage base plus immediates, ldmatrix
// addresses one base per sub-block pair plus immediates, and the scales stay raw 16-bit values
// that the HMUL2 / HFMA2 read as an .H0_H0 operand (no broadcast instruction).
// NT = 1 without zeros multiplies the unscaled q - 8 in the mma and applies the scales to the
// fp32 partial of each group piece (FFMA), and for fp16 dequantizes with one shift per word
// (int4x8_to_pairs_x16).
// Split-K (grid.z = split, in whole 64-k steps): mode 1 writes fp32 partials to the caller's
// workspace (the shared ordered reduction kernel finishes); mode 2 makes the splits one
// thread-block cluster (<= 8) and reduces the partial tiles through distributed shared memory in
// rank order. Both deterministic.
#ifndef W4A16_KERNELS_GEMV_GEMV_TC_CUH
#define W4A16_KERNELS_GEMV_GEMV_TC_CUH

#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <type_traits>

#include "common/int4.cuh"
#include "common/launch_util.cuh"
#include "common/layout.cuh"
#include "common/ptx.cuh"

namespace w4a16 {
namespace gemv_tc {

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kTiles = 2;                          // 16-channel mma tiles per warp
constexpr int kRowsPerWarp = 16 * kTiles;
constexpr int kRowsPerCta = kWarps * kRowsPerWarp; // 128
constexpr int kStepK = layout::kTileK;             // 64: one v2 tile per 16-row block (split unit)
constexpr int kStageTiles = 8;
constexpr int kStageK = kStageTiles * kStepK;      // 512
constexpr int kChunksPerRow = kStageK / 8;         // 16-byte activation chunks per token row
constexpr int kMaxCluster = 8;                     // portable cluster size
static_assert(layout::kTileRows == 16 && layout::kSlotBytes == 16, "one slot per lane and tile");
static_assert(kChunksPerRow % 8 == 0, "the activation swizzle permutes chunks within 8");

// Ring shape per token tiling. A ring "step" is kTps consecutive 64-k tiles (copied, waited for
// and computed together): at NT = 1 (M <= 8, memory-bound) two tiles per step halve the per-step
// fixed costs (waits, warp barriers, commits, address math, scale loads for groups >= 128); at
// NT = 2 one tile per step (the NT = 1 shape with fp32 scaling was measured 1.6-4% slower at
// M = 16 on the five large H100 shapes, 5-7% faster on 4096² / 6144x4096: bench/NOTES.md,
// session 3). The ring has kSlots = steps per stage slots (half of them at kOcc = 4), issued
// kSlots - 1 steps ahead (448 k in flight per warp at NT = 2, 192 k at NT = 2 with kOcc = 4,
// 384 k at NT = 1). kOcc is the CTAs per SM the kernel is built for (its __launch_bounds__).
template <int NT, int kOcc = 3>
struct Ring {
  static constexpr int kTps = NT == 1 ? 2 : 1;        // 64-k tiles per step
  static constexpr int kSteps = kStageTiles / kTps;   // steps per activation stage
  // ring slot = step within the stage (mod kSlots); kOcc = 4 CTAs per SM halves the ring
  static constexpr int kSlots = kOcc == 4 ? kSteps / 2 : kSteps;
  static constexpr int kQ = 2 * kTps;                 // 32-k scale quarters per step
};

// Dynamic shared memory: activation stages [2][MT][kChunksPerRow] (uint4), then the weight ring
// [slot][warp][tile of step][mma tile][lane] (uint4), then the scale/zero ring
// [slot][warp][scales|zeros][32-k quarter][32 channels] (16-bit).
template <int MT>
constexpr int a_stage_u4() { return MT * kChunksPerRow; }
template <int NT, int kOcc>
constexpr int w_ring_u4() {
  return Ring<NT, kOcc>::kSlots * kWarps * Ring<NT>::kTps * kTiles * 32;
}
template <int NT, int kOcc>
constexpr int s_ring_halves() { return Ring<NT, kOcc>::kSlots * kWarps * 2 * Ring<NT>::kQ * 32; }
template <int NT, int kOcc>
constexpr size_t smem_bytes() {
  return (2 * a_stage_u4<8 * NT>() + w_ring_u4<NT, kOcc>()) * 16 + s_ring_halves<NT, kOcc>() * 2;
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
  int32_t steps_per_split;  // in kStepK (64-k) steps
  int32_t mode;
};

// ---- shared-memory index maps (host-callable so that a host program can check them) ----

// uint4 index, within one activation stage, of token m's 16-byte chunk q (k = 8q .. 8q+7 of the
// stage). Chunks are xor-swizzled by (m & 7) within groups of 8.
__host__ __device__ constexpr int a_chunk(int m, int q) {
  return m * kChunksPerRow + (q ^ (m & 7));
}
// Chunk whose address lane `lane` hands to ldmatrix.x4 for token tile nt, step s of the stage and
// sub-block pair jj (k16 sub-blocks 2jj, 2jj+1): matrix lane/8 = k 32jj + 8(lane/8) .. +7, row
// lane%8 = token 8nt + lane%8. Register q of every lane then holds (token 8nt + g, k 32jj + 8q +
// 2c, +1): q = 0, 1 are b0b1, b2b3 of sub-block 2jj, q = 2, 3 those of sub-block 2jj+1.
__host__ __device__ constexpr int b_chunk(int nt, int s, int jj, int lane) {
  return a_chunk(8 * nt + (lane & 7), s * (kStepK / 8) + 4 * jj + (lane >> 3));
}
// The swizzle only permutes chunks within 8, so token tile nt and step s move lane's ldmatrix
// chunk by a constant: the kernel computes one address per sub-block pair jj and adds
// immediates (b_chunk(nt, s, jj, lane) = b_chunk(0, 0, jj, lane) + nt kBTileU4 + s kBStepU4).
constexpr int kBTileU4 = 8 * kChunksPerRow;  // 8 token rows
constexpr int kBStepU4 = kStepK / 8;         // 64 k
__host__ __device__ constexpr bool b_chunk_is_affine() {
  for (int lane = 0; lane < 32; ++lane)
    for (int jj = 0; jj < 2; ++jj)
      for (int nt = 0; nt < 2; ++nt)
        for (int s = 0; s < kStageTiles; ++s)
          if (b_chunk(nt, s, jj, lane) != b_chunk(0, 0, jj, lane) + nt * kBTileU4 + s * kBStepU4)
            return false;
  return true;
}
static_assert(b_chunk_is_affine(), "ldmatrix addresses must be affine in the token tile and step");
// Activation copy `i` of thread `tid` for one stage: token m, chunk q.
__host__ __device__ constexpr int a_copy_m(int tid, int i) {
  return (tid + i * kThreads) / kChunksPerRow;
}
__host__ __device__ constexpr int a_copy_q(int tid, int i) {
  return (tid + i * kThreads) % kChunksPerRow;
}
// uint4 index of lane's weight slot of mma tile ti, 64-k tile t of the step, in ring slot `slot`
// of warp `warp`.
template <int NT>
__host__ __device__ constexpr int w_index(int slot, int warp, int t, int ti, int lane) {
  return (((slot * kWarps + warp) * Ring<NT>::kTps + t) * kTiles + ti) * 32 + lane;
}
// 16-bit index of channel ch (0..31 of the warp) in the scale ring: sz = 0 scales / 1 zeros,
// q = 32-k quarter of the step (q = 2t + h: half h of 64-k tile t).
template <int NT>
__host__ __device__ constexpr int s_index(int slot, int warp, int sz, int q, int ch) {
  return (((slot * kWarps + warp) * 2 + sz) * Ring<NT>::kQ + q) * 32 + ch;
}
// Scale copy lanes 0 .. 16 kTps - 1: lane l copies channels 8(l%4) .. +7 of quarter (l/4) % kQ of
// scales (l < 8 kTps) or zeros.
template <int NT>
__host__ __device__ constexpr int s_copy_sz(int lane) { return lane / (8 * Ring<NT>::kTps); }
template <int NT>
__host__ __device__ constexpr int s_copy_q(int lane) { return (lane >> 2) % Ring<NT>::kQ; }
__host__ __device__ constexpr int s_copy_ch(int lane) { return 8 * (lane & 3); }

// Accumulator i (c0..c3) of acc[ti][nt] of lane (g, c): channel 16ti + g + 8(i/2) of the warp,
// token 8nt + 2c + i%2 of the CTA (the mma C fragment, rows = channels, columns = tokens).
__host__ __device__ constexpr int acc_ch(int ti, int lane, int i) {
  return 16 * ti + (lane >> 2) + 8 * (i >> 1);
}
__host__ __device__ constexpr int acc_m(int nt, int lane, int i) {
  return 8 * nt + 2 * (lane & 3) + (i & 1);
}

__device__ __forceinline__ uint32_t word_of(const uint4& v, int j) {
  return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
}

// fp16 variant of int4x8_to_pairs without the shifts by 4 and 12: the odd nibble pairs (1, 5) and
// (3, 7), i.e. a2a3 and a6a7 = row g + 8 of the A fragment, are masked in place (bits 4..7 of each
// half), which reads as 1024 + 16 q, and come out as 16 (q - 8) (exact: |16 (q - 8)| <= 128); the
// caller divides the scales of rows g + 8 by 16 (exact). One shift per word instead of three.
__device__ __forceinline__ void int4x8_to_pairs_x16(uint32_t w, half2 (&out)[4]) {
  constexpr int kAndXor = 0x6A;             // (a & b) ^ c
  constexpr uint32_t kLoXor = 0x64086408u;  // 1024 + (nibble ^ 8) = 1024 + q in each half
  constexpr uint32_t kHiXor = 0x64806480u;  // 1024 + 16 q for a nibble in bits 4..7
  const half2 lo_sub = as_pair<half2>(0x64086408u);  // 1032
  const half2 hi_sub = as_pair<half2>(0x64806480u);  // 1152 = 1024 + 16 * 8
  const uint32_t w8 = w >> 8;
  out[0] = __hsub2(as_pair<half2>(lop3<kAndXor>(w, 0x000F000Fu, kLoXor)), lo_sub);
  out[1] = __hsub2(as_pair<half2>(lop3<kAndXor>(w, 0x00F000F0u, kHiXor)), hi_sub);
  out[2] = __hsub2(as_pair<half2>(lop3<kAndXor>(w8, 0x000F000Fu, kLoXor)), lo_sub);
  out[3] = __hsub2(as_pair<half2>(lop3<kAndXor>(w8, 0x00F000F0u, kHiXor)), hi_sub);
}

// Template parameters: T = half / __nv_bfloat16; NT = n8 token tiles (MT = 8 NT token rows per CTA;
// rows past M compute on zeros and are not stored); kZeros = additive zeros present.
// Grid: x = ceil(M / MT), y = ceil(N / 128), z = split.
template <typename T, int NT, bool kZeros, int kOcc>
__global__ void __launch_bounds__(kThreads, kOcc) gemv_tc_kernel(const Params p) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  constexpr int MT = NT * 8;
  constexpr int kStageU4 = a_stage_u4<MT>();
  constexpr int kAPerThread = kStageU4 / kThreads;  // 16-B activation copies per stage
  static_assert(kAPerThread * kThreads == kStageU4, "stage must split evenly");
  static_assert(MT * kRowsPerCta * 4 <= 2 * kStageU4 * 16, "cluster tile must fit the stages");
  using R = Ring<NT, kOcc>;
  constexpr int kTps = R::kTps;
  constexpr int kSteps = R::kSteps;
  constexpr int kSlots = R::kSlots;
  static_assert(kSteps % kSlots == 0, "ring slot = step within the stage mod kSlots (constants)");
  // NT = 1 without zeros: scales applied to fp32 mma results (see compute) instead of to the
  // 16-bit weights.
  constexpr bool kF32 = !kZeros && NT == 1;
  constexpr bool kX16 = kF32 && std::is_same<T, half>::value;  // shift-saving fp16 dequant
  extern __shared__ __align__(16) uint4 smem_u4[];
  uint4* s_a = smem_u4;
  uint4* s_w = smem_u4 + 2 * kStageU4;
  uint16_t* s_s = reinterpret_cast<uint16_t*>(s_w + w_ring_u4<NT, kOcc>());

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int g = lane >> 2;
  const int64_t n_cta = static_cast<int64_t>(blockIdx.y) * kRowsPerCta;
  const int64_t n_warp = n_cta + warp * kRowsPerWarp;
  const bool warp_valid = n_warp < p.n;  // N % 64 == 0: a warp's 32 channels are all in or all out
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * MT;
  const int m_valid = static_cast<int>(min(static_cast<int64_t>(MT), p.m - m_base));
  const int split = blockIdx.z;
  const int64_t kb = static_cast<int64_t>(split) * p.steps_per_split * kStepK;
  const int64_t ke = min(p.k, kb + static_cast<int64_t>(p.steps_per_split) * kStepK);
  const int ntiles = ke > kb ? static_cast<int>((ke - kb) / kStepK) : 0;  // K % 64 == 0
  const int nsteps = (ntiles + kTps - 1) / kTps;  // the last step may hold a lone 64-k tile
  const int nstages = (ntiles + kStageTiles - 1) / kStageTiles;
  const bool two_groups = p.group_shift == 5;  // group 32: a tile's two 32-k halves differ
  // Tile t > 0 of a step starts a new group (its scales are copied and loaded) unless the group
  // holds both tiles (group >= 128 and the step does not straddle a group boundary); tile 0
  // always loads. k is the tile's first k.
  // In 64-k units: tile kt (of the whole K) starts a group iff kt is a multiple of group / 64
  // (group 32: every tile). 32-bit: K / 64 < 2^25 and group_shift <= 31.
  const int kt0 = static_cast<int>(kb / kStepK);
  const int gmask64 = p.group_shift > 6 ? (1 << (p.group_shift - 6)) - 1 : 0;
  auto new_group = [&](int tile) { return ((kt0 + tile) & gmask64) == 0; };

  // Lane's slot of mma tile ti at the first 64-k tile of the current stage: tile 1 is the next
  // 16-row block (w_tile_stride bytes on), k-tile + 1 the next 512 bytes. Advanced once per stage
  // so that every copy of the stage addresses its source with an immediate offset.
  const int64_t w_tile_stride = (p.k / kStepK) * layout::kTileBytes;
  const uint8_t* w_stage[kTiles];
  w_stage[0] = p.w + (warp_valid ? layout::slot_offset(n_warp, kb / kStepK, lane, p.k) : 0);
#pragma unroll
  for (int ti = 1; ti < kTiles; ++ti) w_stage[ti] = w_stage[ti - 1] + w_tile_stride;
  const T* a_base = static_cast<const T*>(p.a) + m_base * p.lda;

  // ---- activation stage st -> buffer buf: cp.async (through L1), zero-fill past M / K ----
  // Thread tid's copies i cover a_copy_m/q: a warp copies 512 contiguous bytes of a token row.
  // Not committed here: the copies join the next weight step's group.
  auto issue_a = [&](int st, int buf) {
#pragma unroll
    for (int i = 0; i < kAPerThread; ++i) {
      const int m = a_copy_m(tid, i);
      const int q = a_copy_q(tid, i);
      const int64_t k = kb + static_cast<int64_t>(st) * kStageK + 8 * q;
      const bool ok = m < m_valid && k < ke;
      const void* src = ok ? static_cast<const void*>(a_base + m * p.lda + k) : p.a;
      // Through L1: every CTA of a column of the grid reads these activations, and CTAs sharing
      // an SM may hit there (the weights are read once: L2 only).
      cp_async_16<CpCache::kL1>(smem_addr(s_a + buf * kStageU4 + a_chunk(m, q)), src, ok ? 16u : 0u);
    }
  };

  // ---- weight stream: a per-warp cp.async ring, kSlots - 1 steps in flight ahead of use ----
  // Each lane copies (and later reads) its own slot of each tile; lanes 0 .. 16 kTps - 1 copy the
  // warp's scales and zeros (s_copy_*), read by every lane after the wait and a warp barrier: per
  // tile t of the step the first 32-k half always (if t == 0 or new_group), the second only for
  // group 32. Steps past the split copy nothing but still commit a (empty) group, so the wait
  // counts stay uniform; a lone 64-k tail tile copies only tile 0.
  // Lane's scale copy (s_copy_*), fixed for the kernel: quarter s_q = 2 s_t + s_h of the step.
  const int s_sz = s_copy_sz<NT>(lane);
  const int s_q = s_copy_q<NT>(lane);
  const int s_t = s_q >> 1;
  const int s_h = s_q & 1;
  const bool s_lane_copies = lane < 16 * kTps && (s_sz == 0 || kZeros) && (s_h == 0 || two_groups);
  // Byte address of the lane's 8 channels in scale row 0; row r is r * s_row_bytes on (32-bit:
  // N < 2^24 by the grid limit), one IMAD.WIDE per copy.
  const uint8_t* s_src = reinterpret_cast<const uint8_t*>(
      static_cast<const uint16_t*>(kZeros && s_sz ? p.zeros : p.scales) + n_warp + s_copy_ch(lane));
  const uint32_t s_row_bytes = static_cast<uint32_t>(p.n) * 2u;
  const uint32_t s_k_lane = static_cast<uint32_t>(kt0) * kStepK + 32u * s_h;
  const uint32_t s_dst = smem_addr(s_s + s_index<NT>(0, warp, s_sz, s_q, s_copy_ch(lane)));
  constexpr int kSSlotBytes = 2 * (s_index<NT>(1, 0, 0, 0, 0) - s_index<NT>(0, 0, 0, 0, 0));
  // Step `local` of the stage whose first tile w_stage points at (local >= kSteps: the next
  // stage's), i.e. global step `step`.
  auto issue_step = [&](int step, int local, int slot) {
    const int tile0 = step * kTps;
    const bool ok = warp_valid && tile0 < ntiles;
    if (ok) {
#pragma unroll
      for (int t = 0; t < kTps; ++t) {
        if (t == 0 || tile0 + t < ntiles) {
#pragma unroll
          for (int ti = 0; ti < kTiles; ++ti) {
            const uint8_t* src = w_stage[ti] + (local * kTps + t) * layout::kTileBytes;
            cp_async_16(smem_addr(s_w + w_index<NT>(slot, warp, t, ti, lane)), src, 16u);
          }
        }
      }
      const int tile = tile0 + s_t;
      if (s_lane_copies && (s_t == 0 || (tile < ntiles && new_group(tile)))) {
        const uint32_t row = (s_k_lane + static_cast<uint32_t>(tile) * kStepK) >> p.group_shift;
        cp_async_16(s_dst + slot * kSSlotBytes, s_src + static_cast<uint64_t>(row) * s_row_bytes, 16u);
      }
    }
    cp_async_commit();
  };

  float acc[kTiles][NT][4];
#pragma unroll
  for (int ti = 0; ti < kTiles; ++ti)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[ti][nt][i] = 0.f;

  // sc[ti][hh][h]: scale pair of row g + 8hh of mma tile ti for 32-k half h (k16 sub-blocks 2h,
  // 2h+1) of the current 64-k tile; without group 32 both halves are half 0's. Carried from
  // tile 0 to tile 1 of a step when tile 1 is in the same group.
  // Kept as raw 16-bit values and splat at the HMUL2 / HFMA2 (an .H0_H0 operand, no instruction).
  uint16_t sc[kTiles][2][2], zc[kTiles][2][2];
  float sf[kTiles][2][2];
  auto load_scales = [&](int slot, int t) {
#pragma unroll
    for (int ti = 0; ti < kTiles; ++ti)
#pragma unroll
      for (int hh = 0; hh < 2; ++hh) {
        const int idx = s_index<NT>(slot, warp, 0, 2 * t, 16 * ti + 8 * hh + g);
        if constexpr (kF32) {
          // rows g + 8 of fp16 come out of int4x8_to_pairs_x16 times 16
          const float f = kX16 && hh == 1 ? 0.0625f : 1.f;
          sf[ti][hh][0] = f * Tr::to_float2(as_pair<T2>(static_cast<uint32_t>(s_s[idx]))).x;
          sf[ti][hh][1] =
              two_groups
                  ? f * Tr::to_float2(as_pair<T2>(static_cast<uint32_t>(s_s[idx + 32]))).x
                  : sf[ti][hh][0];
        } else {
          constexpr int kZ = s_index<NT>(0, 0, 1, 0, 0);  // zeros: sz = 1
          sc[ti][hh][0] = s_s[idx];
          zc[ti][hh][0] = kZeros ? s_s[idx + kZ] : 0;
          if (two_groups) {
            sc[ti][hh][1] = s_s[idx + 32];
            zc[ti][hh][1] = kZeros ? s_s[idx + 32 + kZ] : 0;
          } else {
            sc[ti][hh][1] = sc[ti][hh][0];
            zc[ti][hh][1] = zc[ti][hh][0];
          }
        }
      }
  };

  const uint32_t b_base[2] = {smem_addr(s_a + b_chunk(0, 0, 0, lane)),
                              smem_addr(s_a + b_chunk(0, 0, 1, lane))};
  // One ring step from slot `slot` against activation buffer buf, step s of the stage.
  auto compute = [&](int slot, int buf, int s, int step) {
    uint4 w[kTps][kTiles];
#pragma unroll
    for (int t = 0; t < kTps; ++t)
#pragma unroll
      for (int ti = 0; ti < kTiles; ++ti) w[t][ti] = s_w[w_index<NT>(slot, warp, t, ti, lane)];
    const uint32_t bo = buf * (kStageU4 * 16);
#pragma unroll
    for (int t = 0; t < kTps; ++t) {
      const int tile = step * kTps + t;
      if (t > 0 && tile >= ntiles) break;  // lone 64-k tail (warp-uniform)
      if (t == 0 || new_group(tile)) load_scales(slot, t);
      uint32_t bq[NT][2][4];
#pragma unroll
      for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int jj = 0; jj < 2; ++jj)
          ldmatrix_x4(bq[nt][jj], b_base[jj] + bo + (nt * kBTileU4 + (s * kTps + t) * kBStepU4) * 16);
      if constexpr (kF32) {
        // Unscaled q - 8 through the mma into fresh fp32 accumulators, scaled once per group
        // piece (the whole 64-k tile, or each 32-k half for group 32): 8 or 16 FFMA per tile
        // instead of 32 HMUL2, and the dequantized weights are exact.
        auto piece = [&](int j0, int nj, int h) {
          float tmp[kTiles][NT][4];
#pragma unroll
          for (int ti = 0; ti < kTiles; ++ti)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
              for (int i = 0; i < 4; ++i) tmp[ti][nt][i] = 0.f;
#pragma unroll
          for (int j = j0; j < j0 + nj; ++j)
#pragma unroll
            for (int ti = 0; ti < kTiles; ++ti) {
              T2 pr[4];
              if constexpr (kX16) {
                int4x8_to_pairs_x16(word_of(w[t][ti], j), pr);
              } else {
                int4x8_to_pairs<T>(word_of(w[t][ti], j), pr);
              }
              const uint32_t a[4] = {as_u32(pr[0]), as_u32(pr[1]), as_u32(pr[2]), as_u32(pr[3])};
#pragma unroll
              for (int nt = 0; nt < NT; ++nt) {
                const uint32_t b[2] = {bq[nt][j >> 1][2 * (j & 1)],
                                       bq[nt][j >> 1][2 * (j & 1) + 1]};
                mma_m16n8k16<T>(tmp[ti][nt], a, b);
              }
            }
#pragma unroll
          for (int ti = 0; ti < kTiles; ++ti)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
              for (int i = 0; i < 4; ++i)
                acc[ti][nt][i] = fmaf(sf[ti][i >> 1][h], tmp[ti][nt][i], acc[ti][nt][i]);
        };
        if (two_groups) {
          piece(0, 2, 0);
          piece(2, 2, 1);
        } else {
          piece(0, 4, 0);
        }
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
#pragma unroll
          for (int ti = 0; ti < kTiles; ++ti) {
            // Pairs 0..3 = a0a1 (row g), a2a3 (row g+8), a4a5 (row g), a6a7 (row g+8).
            T2 pr[4];
            int4x8_to_pairs_hfma<T>(word_of(w[t][ti], j), pr);
            uint32_t a[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
              const T2 s2 = Tr::splat(sc[ti][i & 1][j >> 1]);
              pr[i] = kZeros ? __hfma2(pr[i], s2, Tr::splat(zc[ti][i & 1][j >> 1]))
                             : __hmul2(pr[i], s2);
              a[i] = as_u32(pr[i]);
            }
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
              const uint32_t b[2] = {bq[nt][j >> 1][2 * (j & 1)],
                                     bq[nt][j >> 1][2 * (j & 1) + 1]};
              mma_m16n8k16<T>(acc[ti][nt], a, b);
            }
          }
        }
      }
    }
  };

  // Prologue: the first kSlots - 1 weight steps, then (after the kernel ahead has finished: see
  // w4a16_set_pdl; weights and scales are never its outputs) stage 0's activations in a group
  // of their own; wait for all of it and make it visible. The extra group only makes the
  // loop's first waits stricter by one step.
#pragma unroll
  for (int i = 0; i < kSlots - 1; ++i) issue_step(i, i, i);
  grid_dependency_wait();
  allow_dependent_launch();
  if (nstages > 0) issue_a(0, 0);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
#pragma unroll 1
  for (int st = 0; st < nstages; ++st) {
    const int buf = st & 1;
#pragma unroll
    for (int s = 0; s < kSteps; ++s) {
      const int step = st * kSteps + s;
      // Stage st+1's activations join the group of step kSteps (st + 1) - 1 (the stage's last,
      // issued just below when s = kSteps - kSlots), complete at this stage's last wait, and are
      // published by the barrier that ends the stage. buf ^ 1 was last read in stage st - 1,
      // before that stage's barrier.
      if (s == kSteps - kSlots && st + 1 < nstages) issue_a(st + 1, buf ^ 1);
      __syncwarp();  // every lane is done with the slot the next copy overwrites (step - 1's)
      issue_step(step + kSlots - 1, s + kSlots - 1, (s + kSlots - 1) % kSlots);
      cp_async_wait<kSlots - 1>();
      __syncwarp();  // other lanes' scale copies are visible
      if (warp_valid && step < nsteps) compute(s % kSlots, buf, s, step);
    }
#pragma unroll
    for (int ti = 0; ti < kTiles; ++ti) w_stage[ti] += kStageTiles * layout::kTileBytes;
    __syncthreads();
  }
  cp_async_wait<0>();

  // ---- epilogue. acc[ti][nt]: c0,c1 = (channel g, tokens 2c, 2c+1), c2,c3 = channel g + 8 ----
  if (p.mode == kCluster) {
    namespace cg = cooperative_groups;
    cg::cluster_group cluster = cg::this_cluster();
    float* red = reinterpret_cast<float*>(s_a);  // [MT][128] fp32; the stages are done (barrier)
#pragma unroll
    for (int ti = 0; ti < kTiles; ++ti)
#pragma unroll
      for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int ch = warp * kRowsPerWarp + acc_ch(ti, lane, i);
          const int m = acc_m(nt, lane, i);
          red[m * kRowsPerCta + ch] = acc[ti][nt][i];
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
  for (int ti = 0; ti < kTiles; ++ti)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t n = n_warp + acc_ch(ti, lane, i);
        const int m = acc_m(nt, lane, i);
        if (m >= m_valid) continue;
        const float v = acc[ti][nt][i];
        if (p.mode == kWorkspace) {
          p.partial[(static_cast<int64_t>(split) * p.m + m_base + m) * p.n + n] = v;
        } else {
          const float b = p.bias != nullptr ? Tr::to_float(static_cast<const T*>(p.bias)[n]) : 0.f;
          static_cast<T*>(p.c)[(m_base + m) * p.ldc + n] = Tr::from_float(v + b);
        }
      }
}

template <typename T, int NT, bool kZeros, int kOcc>
cudaError_t launch_nt(const Params& p, int split, bool pdl, cudaStream_t stream) {
  constexpr int MT = NT * 8;
  const int64_t m_blocks = (p.m + MT - 1) / MT;
  const int64_t n_blocks = (p.n + kRowsPerCta - 1) / kRowsPerCta;
  if (m_blocks > 0x7fffffff || n_blocks > 65535 || split > 65535) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(m_blocks), static_cast<unsigned>(n_blocks),
                  static_cast<unsigned>(split));
  constexpr size_t kSmem = smem_bytes<NT, kOcc>();
  const cudaError_t attr_err =
      ensure_dynamic_smem<gemv_tc_kernel<T, NT, kZeros, kOcc>>(static_cast<int>(kSmem));
  if (attr_err != cudaSuccess) return attr_err;
  const dim3 cluster(1, 1, p.mode == kCluster ? static_cast<unsigned>(split) : 1u);
  return launch_kernel(gemv_tc_kernel<T, NT, kZeros, kOcc>, grid, dim3(kThreads), kSmem, stream,
                       pdl, cluster, p);
}

// The instantiation list of the tensor-core GEMV: MT = 8 for M <= 8, MT = 16 otherwise (larger M
// is tiled by 16), x dtype x zeros (bias is a run-time epilogue choice); the 16-token kernel also
// at 4 CTAs per SM (occ4: half the weight ring; measured faster on some shapes, slower on others,
// so the tuning table chooses: config 3 of gemv.cu).
template <typename T>
cudaError_t launch(const Params& p, int split, bool pdl, bool occ4, cudaStream_t stream) {
  const bool z = p.zeros != nullptr;
  if (p.m <= 8) {
    return z ? launch_nt<T, 1, true, 3>(p, split, pdl, stream)
             : launch_nt<T, 1, false, 3>(p, split, pdl, stream);
  }
  if (occ4) {
    return z ? launch_nt<T, 2, true, 4>(p, split, pdl, stream)
             : launch_nt<T, 2, false, 4>(p, split, pdl, stream);
  }
  return z ? launch_nt<T, 2, true, 3>(p, split, pdl, stream)
           : launch_nt<T, 2, false, 3>(p, split, pdl, stream);
}

}  // namespace gemv_tc
}  // namespace w4a16

#endif  // W4A16_KERNELS_GEMV_GEMV_TC_CUH
