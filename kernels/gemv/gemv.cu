// gemv.cu — CUDA-core GEMV family: C[M,N] = A[M,K] · Wᵀ (+ bias) for small M.
//
// Memory-bound on the packed weights (layout v2, common/layout.cuh: 16-row x 64-k tiles of 512
// contiguous bytes, a 16-row block is one 8K-byte stream). Why the work is laid out as it is:
//   * one warp-wide 16-byte load (slot = lane) reads one whole 512-byte tile, the widest
//     contiguous piece the layout offers, and lane (g = lane/4, c = lane%4) then holds rows g and
//     g+8 of the tile at k = 16j + 2c + {0,1,8,9}. A warp covers TWO 16-row blocks so that each
//     activation a lane fetches feeds 4 output rows (as the 4-row warps of layout v1 did); fewer
//     rows per lane would double the per-weight activation work.
//   * 32 rows per CTA would leave half as many warps as the v1 kernel (4 warps x 4 rows per 16
//     rows), and small-N shapes fill the card only through warps (the dispatch heuristic and the
//     tuned tables count N/16 CTAs of v1). So the CTA's K range is split between its warps:
//     8 warps (MT = 1) keep v1's warp count and 16 warps/SM exactly; MT >= 2 needs ~168 registers,
//     where 6 warps at 2 CTAs/SM keep v1's 12 warps/SM. Grids of <= 1 CTA per SM run 16 / 12
//     warps per CTA instead (max_warps_for), so small N still fills every SM's warp slots. Warp w takes 128-k steps (two tiles of each
//     block) w, w+W, w+2W, ...: at any time the CTA's warps read adjacent 1-KB pieces of each
//     block (long DRAM bursts, which measured faster than row-scattered pieces in bench/NOTES.md).
//   * the next two steps' weights (2 x 4 x 16 B per lane, as v1) stay in flight in registers.
//   * activations: a lane needs 4-byte pairs 16 B apart, i.e. eight 4-byte loads per tile and
//     token from L2 (the warps of a CTA read disjoint k, so L1 rarely hits). Instead each warp
//     copies the next step's activations with ONE 4-byte cp.async per lane, tile and token into a
//     per-warp shared ring, permuted so that a lane's 16 values are contiguous (two conflict-free
//     LDS.128): fewer instructions, no registers held, latency hidden one step ahead; only
//     __syncwarp, never a CTA barrier, in the k loop.
//   * dequantization (MT <= 4) skips fp16 entirely: the int4 -> fp16 -> fp32 route costs ~2.4
//     instructions per weight (shift, lop3, hsub2 per pair, one HADD2.F32 per value), which made
//     the kernel issue-bound (v1 ~546 SASS per 128 weights per lane, ~455 issue slots available
//     per 2 KB of a warp's weights at H200 bandwidth). Instead one shift per nibble pair puts
//     rows g / g+8's nibbles in mantissa bits 15..18 / 19..22 and one lop3 each makes the fp32
//     v = 1 + q/2^p (p = 8 / 4; q = nibble ^ 8 folded into the lop3): 1.5 integer ops per weight.
//     The "1" is removed once per group piece with the activation sum the zeros already needed:
//     sum (q-8) x = 2^p sum(v x) - (2^p + 8) sum(x). Products stay exact (FFMA); the price is the
//     fp32 rounding of sum(v x) (~|sum x| 2^-24 per add) amplified by 2^p <= 256 over <= 32 terms
//     a lane sums per piece: ~1e-5 of the result, far below fp16/bf16 output rounding.
//   * scales (and zeros) are applied per "group piece" (the half tiles of a step that share a
//     group: splits start at even tiles, so group >= 128 is one piece per step, 64 one per tile,
//     32 one per half tile); for MT <= 4 on fp32 partial sums (zeros through the activation sum),
//     so the per-weight work is the int4 -> fp32 conversion plus MT FMAs (larger MT scales each
//     weight instead, which needs no per-row partials). Rows g and g+8 have their own scales: four
//     2-byte loads per piece, the price of the tile layout (v1 read 4 adjacent rows' in one).
//   * quad shuffles, then an ordered (deterministic) sum over the warps through shared memory;
//     bias and rounding to dtype once at the end.
// Split-K (deterministic): split s covers a contiguous range of 64-k tiles and writes fp32 partials
// to workspace [split_k, M, N]; a second kernel sums the splits in order, adds bias and rounds.
#include <algorithm>
#include <type_traits>
#include <cuda_runtime.h>

#include "common/int4.cuh"
#include "common/launch_util.cuh"
#include "common/ptx.cuh"
#include "gemv/gemv_tc.cuh"
#include "launch.h"

namespace w4a16 {
namespace gemv {

constexpr int kBlocks = 2;                 // 16-row blocks per CTA; every warp covers both
constexpr int kRowsPerCta = 16 * kBlocks;  // 32
constexpr int kLaneRows = 2 * kBlocks;     // rows per lane: g, g+8 of each block
constexpr int kTileK = 64;                 // layout v2 tile depth
constexpr int kTileBytes = 512;
constexpr int kStepTiles = 2;              // tiles of each block per warp step (4 x 16 B per lane)
constexpr int kMaxMT = 8;                  // token rows per CTA
constexpr int kMaxTcMT = 16;               // the mma variant's: two n8 token tiles (M = 9..16)
constexpr int kPartialMaxMT = 4;           // largest MT that scales per group piece
// Warps per CTA and CTAs per SM for __launch_bounds__ (explicit register budgets: 128 registers
// for MT == 1, 168 above, as layout v1's kernel; ptxas' own heuristic spilled in the k loop).
// The mma variant (kTc, config 4) has no per-token FMA chains but holds mma fragments: it takes the
// MT >= 2 shape (168 registers) at every MT (at 128 registers its MT = 1 kernel spilled).
constexpr int warps_for(int mt, bool tc = false) { return mt == 1 && !tc ? 8 : 6; }
// Grids of at most one CTA per SM (N <= 4096 at split 1 on 132 SMs: 128 CTAs) would leave half of
// an SM's warp slots empty, i.e. half the bytes in flight and half the latency hiding of an
// issue-bound loop; such launches run max_warps_for(MT) warps per CTA instead (16 at MT = 1, 12
// above, the same register budget per thread), the warp count is a launch-time choice
// (blockDim.x / 32). The FMA kernels at MT > 4 keep 6: they run only for weights with zeros, whose
// timings the tables hold at 6 warps.
constexpr int max_warps_for(int mt, bool tc = false) {
  return mt == 1 && !tc ? 16 : mt <= kPartialMaxMT || tc ? 12 : 6;
}
constexpr int max_threads_for(int mt, bool tc = false) { return 32 * max_warps_for(mt, tc); }
// Config 5: the mma variant with 3-warp CTAs, 4 per SM at its register budget (12 warps per SM as
// 2 x 6). Each warp takes twice the steps of a 6-warp CTA, so each CTA's ramp (first loads) and
// tail (cross-warp sums) weigh half as much, and 4 CTAs per SM overlap one's ramp with the others'
// streams: on grids of several waves of short CTAs (28672 x 4096: 896 CTAs of 32 steps) that
// measured 1.05-1.10x over 6 warps (H100, bench/NOTES.md session 9).
constexpr int kNarrowWarps = 3;
// One-CTA-per-SM grids at MT = 16 run kWideMt16Warps warps instead of max_warps_for's 12 where that
// measured faster (H100, bench/NOTES.md sessions 17 and 18):
//   * config 7 (kSmemW) at every K: N = 4096, K = 6144-10240, M = 16 1.04-1.07x, M = 12
//     0.996-1.026x (its 12-warp CTA holds 194 KB of shared memory at MT = 16; 8 leave more L1);
//   * config 4 where a CTA has at most kFewSteps 128-k steps (K per split <= 4096): 4096²
//     M = 9-16 1.00-1.12x (12 warps give warps 0-7 three steps and 8-11 two); at 48-64 steps
//     0.97-1.02x, at 80 0.97-0.98x, at 112 (4096 x 14336) 0.94-0.95x.
// 6 or 4 warps lost 6-33% at 4096².
constexpr int kFewSteps = 32;
constexpr int kWideMt16Warps = 8;
// Register budget = 65536 / (max threads x min CTAs): 128 at MT = 1 (config 0), 168 above and for
// the mma variant.
constexpr int gemv_min_ctas(int mt, bool tc = false) {
  return max_warps_for(mt, tc) == warps_for(mt, tc) ? 2 : 1;
}
// Shared memory per warp: its activation ring, [slot][tile of the step][token][row words] (dynamic:
// 12 warps at MT = 16 take 108 KB, past the 48 KB of static shared memory). Rows are 32 permuted
// words, except in the mma variant at MT >= kNaturalMinMT (natural_rows): the tile's 64
// activations in natural order (128 B) plus 16 B of padding, so that the 8 token rows one
// ldmatrix reads fall in different banks. At MT = 2, 3 natural rows measured 0.90-1.03x against
// the permuted ones (losses with zeros on config 5), at MT = 4-8 up to 1.16x (H100,
// bench/NOTES.md session 17).
constexpr int kTcRowWords = 36;
constexpr int kNaturalMinMT = 4;
constexpr bool natural_rows(int mt, bool tc) { return tc && mt >= kNaturalMinMT; }
// Ring slots: the mma variant at MT <= 8 copies activations two steps ahead (three slots: up to
// 1.07x at M = 1-8 on H100); at MT = 16 a third slot is 55 KB more shared memory per SM, taken
// from the L1 that serves the CTAs' shared activation reads (0.97-0.99x on 4096 x 14336), so it
// keeps two, as the FMA kernels (static rings) do (bench/NOTES.md, session 11). Except `deep`:
// config 7 at MT = 16 on one-CTA-per-SM grids, whose 8-warp CTA has the room (110 KB of
// activation rings beside 48 KB of weight ring): H100 4096² M = 9-16 1.01-1.06x, 4096 x 14336
// 0.99-1.04x, which puts config 7 ahead of config 4 there (1.02-1.06x). On grids of several
// CTAs per SM the third slot leaves room for one 6-warp CTA instead of two (0.67-0.89x;
// bench/NOTES.md, session 18), so those launches keep the two-slot kernel.
constexpr int act_slots(int mt, bool tc, bool deep = false) {
  return tc && (mt <= kMaxMT || deep) ? 3 : 2;
}
// The mma variant's scales (and zeros) a lane fetches per step with group >= 128 (load_sc).
constexpr int sc_values(bool zeros) { return (zeros ? 2 : 1) * kLaneRows; }
// The mma variant's shared scale ring for groups 64 and 32 (copy_sc): per warp
// [slot][scales, zeros][piece][kRowsPerCta] 16-bit values; slots for steps s .. s + 2, up to 4
// pieces (group 32) per step.
constexpr int kScSlots = 3;
constexpr int kScPieces = 4;
constexpr int kScPieceBytes = 2 * kRowsPerCta;
constexpr int sc_slot_bytes(bool zeros) { return (zeros ? 2 : 1) * kScPieces * kScPieceBytes; }
template <int MT, bool kTc, bool kDeepAct = false>
constexpr int ring_words() {
  return act_slots(MT, kTc, kDeepAct) * kStepTiles * MT *
         (natural_rows(MT, kTc) ? kTcRowWords : 32);
}
// Dynamic shared memory of the mma variant: every warp's activation ring, then (groups 64 / 32,
// sc_ring) every warp's scale ring. Group >= 128 launches, which hold their scales in registers,
// leave the scale rings out.
// Config 7's weight ring (kSmemW), after the scale rings: per warp [slot][tile u][block b] x 32
// lanes x 16 B, slots for steps s .. s + 2.
constexpr int kWSlots = 3;
constexpr int kWSlotBytes = kStepTiles * kBlocks * kTileBytes;  // 2048
template <int MT, bool kTc, bool kZeros, bool kDeepAct = false>
constexpr size_t ring_bytes(int warps, bool sc_ring = true, bool w_ring = false) {
  const size_t sc_bytes = sc_ring ? kScSlots * sc_slot_bytes(kZeros) : 0;
  const size_t w_bytes = w_ring ? kWSlots * kWSlotBytes : 0;
  return (sizeof(uint32_t) * ring_words<MT, kTc, kDeepAct>() + sc_bytes + w_bytes) * warps;
}

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
  int32_t tiles_per_split;  // 64-k tiles per K split
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

// 4-byte global -> shared copy through L1 (activations); src_bytes == 0 zero-fills.
__device__ __forceinline__ void cp_async_4(uint32_t dst, const void* src, uint32_t src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes)
               : "memory");
}

// 8-byte global -> shared copy through L1 (the mma variant's group 64 / 32 scales).
__device__ __forceinline__ void cp_async_8(uint32_t dst, const void* src) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8;\n" ::"r"(dst), "l"(src) : "memory");
}

// Row (0..31 within the CTA) of a lane's accumulator r (0..3): block r/2, row g + 8 (r%2).
__host__ __device__ __forceinline__ int lane_row(int g, int r) {
  return 16 * (r >> 1) + 8 * (r & 1) + g;
}

// Template parameters:
//   T      : activation / scale / zero / bias / output type (half or __nv_bfloat16).
//   MT     : token rows per CTA (1..kMaxMT; the mma variant also kMaxTcMT = 16, two token tiles
//            per weight word). Rows past M (last CTA when M > MT) are computed on a clamped copy
//            of row M-1 and not stored.
//   kZeros : additive zeros present.
//   kBias  : bias present (applied here only without split-K; the reduction applies it otherwise).
//   kSmemW : config 7 (kTc only): the weights stream with 16-byte cp.async into a per-warp shared
//            ring (read with LDS.128 at each step) and every group's scales through the shared
//            scale ring, so the k loop has no global loads into registers. Those loads all write
//            one scoreboard, and once per unrolled 3-step iteration the first use of a step's
//            weights waits on it, i.e. also for the loads just issued for step s + 2 (ncu:
//            15-27% of the 4096-row kernels' stall samples); cp.async groups are waited by count.
//            H100: 4096² M = 1 1.13x, M = 2 1.09x; slower on grids of several CTAs per SM
//            (bench/NOTES.md, session 15), hence a configuration the tables choose.
//   kDeepAct : config 7 at MT = 16 on one-CTA-per-SM grids: three activation ring slots instead
//            of two (act_slots).
//   kTc    : config 4: the multiply on mma.m16n8k16 instead of CUDA-core FMAs, same grid,
//            streams and reduction. A lane's 16-B weight slot is its A fragments
//            (layout v2: rows g, g + 8 of both blocks), ldmatrix on the activation ring gives
//            its B fragments (tokens = the mma's n columns; columns n >= MT read token MT - 1
//            and are dropped); the fp32 results are scaled once per group piece (with zeros,
//            and with group 32 at MT = 16, the weights are scaled before the mma instead: see
//            process_tc). ~18 instructions per weight word instead of ~31, and the same at every
//            MT <= 8 (the FMA path grows with MT): bench/NOTES.md, session 7.
// Grid: x = ceil(M / MT) token blocks (fastest, so CTAs sharing the same weights run together and
// hit L2), y = N / kRowsPerCta, z = split_k. Block: 32 x (warps_for(MT), max_warps_for(MT),
// kWideMt16Warps or, configs 5 and 6, kNarrowWarps).
template <typename T, int MT, bool kZeros, bool kBias, bool kTc = false, bool kSmemW = false,
          bool kDeepAct = false>
__global__ void __launch_bounds__(max_threads_for(MT, kTc), gemv_min_ctas(MT, kTc))
    gemv_kernel(const Params p) {
  static_assert(MT <= kMaxMT || (kTc && MT == kMaxTcMT), "token rows per CTA");
  static_assert(kTc || !kSmemW, "the shared weight ring is the mma variant's");
  static_assert(!kDeepAct || (kSmemW && MT == kMaxTcMT),
                "deep activation rings: config 7 at MT = 16 only");
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  const int kW = static_cast<int>(blockDim.x >> 5);  // warps per CTA: see Block above
  // Few rows: scale once per group piece on fp32 partial sums (zeros through the activation sum),
  // which saves a multiply per weight. Many rows: scale each weight instead, which needs no per-row
  // partials and so keeps the register file in bounds.
  constexpr bool kPartial = MT <= kPartialMaxMT;
  constexpr bool kNatural = natural_rows(MT, kTc);  // activation rows in natural order

  // Per-warp activation ring: [slot][tile of the step][token][row words]. FMA kernels: word
  // 8c + t of a (tile, token) row is the pair x[64kb + 2(4t + c)], +1, so lane (g, c) reads words
  // 8c..8c+7: t = 2j -> (x[ka], x[ka+1]), t = 2j+1 -> (x[kc], x[kc+1]) of sub-block j
  // (layout.cuh). The mma variant at MT >= 4 (kNatural): the row's 64 activations in natural
  // order (kTcRowWords), which 16-byte copies fill and ldmatrix reads as B fragments: at MT = 16 8
  // copies per lane and step instead of 32 with their address arithmetic (~20% of the k loop's
  // SASS), 1.14-1.36x at M = 12-16 on H100 (session 9); at MT = 8 4 copies instead of 16 and one
  // ldmatrix.x4 per half tile in place of one LDS.128, 1.04-1.16x at M = 8 (session 17). MT <= 3
  // keeps the permuted rows (bench/NOTES.md).
  // The cross-warp sums reuse each warp's own ring once its k loop is done (s_red_of). The mma
  // variant's rings are dynamic shared memory (the launch provides ring_bytes<MT, kTc, kZeros>;
  // 12 warps at MT = 16: 108 KB); the FMA kernels keep a static array sized for their largest
  // CTA (with the rings dynamic, ptxas' allocation of the MT = 7 kernels with zeros moved and
  // spilled 8 bytes).
  extern __shared__ __align__(16) uint32_t s_ring_dynamic[];
  __shared__ __align__(16) uint32_t s_act[kTc ? 1 : max_warps_for(MT)][2][kStepTiles][MT][32];
  constexpr int kRingWords = ring_words<MT, kTc, kDeepAct>();
  auto ring_of = [&](int w) -> uint32_t* {
    if constexpr (kTc) {
      return s_ring_dynamic + w * kRingWords;
    } else {
      return &s_act[w][0][0][0][0];
    }
  };
  static_assert(sizeof(uint32_t) * kRingWords >= sizeof(float) * MT * kRowsPerCta,
                "warp's sums fit its ring");
  auto s_red_of = [&](int w, int m) -> float* {
    return reinterpret_cast<float*>(ring_of(w)) + m * kRowsPerCta;
  };

  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int g = lane >> 2, c = lane & 3;
  const int64_t n_cta = (p.n_block_base + blockIdx.y) * kRowsPerCta;
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * MT;
  const int m_valid = static_cast<int>(min(static_cast<int64_t>(MT), p.m - m_base));
  const int split = blockIdx.z;
  const int k_tiles = static_cast<int>(p.k / kTileK);
  const int t_begin = min(k_tiles, split * p.tiles_per_split);
  const int n_tiles = min(k_tiles - t_begin, p.tiles_per_split);  // tiles of this split
  const int n_pairs = (n_tiles + 1) / 2;                           // steps of the whole CTA
  const int steps = warp < n_pairs ? (n_pairs - warp + kW - 1) / kW : 0;

  // Lane's slot in tile t_begin of block 0; block 1 is blk_bytes further, a block's tiles are
  // 512 B apart (the two tiles of a step: one base address + immediate offsets).
  const int64_t blk_bytes = static_cast<int64_t>(k_tiles) * kTileBytes;
  const uint8_t* w_lane =
      p.w + (static_cast<int64_t>(n_cta / 16) * k_tiles + t_begin) * kTileBytes + 16 * lane;
  // Lane's copy source: the pair x[64 t_begin + 2 lane], +1 of token row m_base (row m is lda
  // further; one pointer, not MT, keeps registers free at MT = 8).
  const T* a_src = static_cast<const T*>(p.a) + m_base * p.lda +
                   static_cast<int64_t>(t_begin) * kTileK + 2 * lane;
  const T* scales = static_cast<const T*>(p.scales) + n_cta;
  // Offset of the scale (and zero) row of the group holding k index kk. kk is clamped to K - 1:
  // the second tile of a split's last step may lie past K (a lone 64-k tile; its weights and
  // activations are zero-filled), and its group row does not exist.
  const int k_last = static_cast<int>(p.k) - 1;  // K <= 2^20
  auto group_row = [&](int kk) {
    return static_cast<int64_t>(min(kk, k_last) >> p.group_shift) * p.n;
  };
  const T* zeros = static_cast<const T*>(p.zeros) + n_cta;
  const uint32_t s_act_warp = smem_addr(ring_of(warp));
  // The mma variant's scale ring (groups 64 / 32), after the kW activation rings.
  const uint32_t s_sc_warp = smem_addr(s_ring_dynamic + kW * kRingWords) +
                             warp * kScSlots * sc_slot_bytes(kZeros);
  const uint16_t* s_sc_ptr = reinterpret_cast<const uint16_t*>(
      reinterpret_cast<const uint8_t*>(s_ring_dynamic + kW * kRingWords) +
      warp * kScSlots * sc_slot_bytes(kZeros));
  const uint32_t copy_dst = s_act_warp + 4 * (8 * c + g);
  // kSmemW: the warp's weight ring, after every warp's scale ring.
  const uint8_t* s_w_base = reinterpret_cast<const uint8_t*>(s_ring_dynamic + kW * kRingWords) +
                            kW * kScSlots * sc_slot_bytes(kZeros) + warp * kWSlots * kWSlotBytes;

  // Tile (relative to t_begin) u of step s of this warp.
  auto step_tile = [&](int s, int u) { return 2 * (warp + kW * s) + u; };

  // Weights of step s. A step's first tile is in range whenever the step exists (s < steps:
  // in_range), its second only if the split does not end in a lone tile; out of range -> zeros.
  // kOrdered (the prologue): loads that stay ahead of grid_dependency_wait().
  auto load_w = [&](uint4 (&buf)[kStepTiles][kBlocks], int s, bool in_range, auto ordered) {
    constexpr bool kOrdered = decltype(ordered)::value;
    auto ld = [](const uint8_t* q) {
      return kOrdered ? ldg_stream_128_ordered(q) : ldg_stream_128(q);
    };
    const int t = step_tile(s, 0);
    const bool ok0 = in_range || t < n_tiles, ok1 = t + 1 < n_tiles;
    // kNatural: the base goes through an opaque move (as the scale pointer does): kept live across
    // the k loop by ptxas' scheduling, it was among what the MT = 16 kernels spilled at 168
    // registers; rebuilt per use it costs a few instructions per step.
    const uint8_t* wbase = w_lane;
    if constexpr (kNatural) asm volatile("mov.b64 %0, %0;" : "+l"(wbase));
    const uint8_t* q0 = wbase + static_cast<int64_t>(t) * kTileBytes;
    const uint8_t* q1 = q0 + blk_bytes;
    const uint4 zero = make_uint4(0u, 0u, 0u, 0u);
    buf[0][0] = ok0 ? ld(q0) : zero;
    buf[0][1] = ok0 ? ld(q1) : zero;
    buf[1][0] = ok1 ? ld(q0 + kTileBytes) : zero;
    buf[1][1] = ok1 ? ld(q1 + kTileBytes) : zero;
  };
  // kSmemW: step s's weights into weight slot `slot` (zero-filled out of range); they join the
  // copy group of step s's scales.
  auto copy_w = [&](int s, int slot) {
    const int t = step_tile(s, 0);
    const bool ok0 = t < n_tiles, ok1 = t + 1 < n_tiles;
    const uint8_t* q0 = ok0 ? w_lane + static_cast<int64_t>(t) * kTileBytes : w_lane;
    const uint8_t* q1 = ok0 ? q0 + blk_bytes : w_lane;
    const uint32_t dst = smem_addr(s_w_base) + slot * kWSlotBytes + 16 * lane;
    cp_async_16<CpCache::kL2>(dst, q0, ok0 ? 16u : 0u);
    cp_async_16<CpCache::kL2>(dst + kTileBytes, q1, ok0 ? 16u : 0u);
    cp_async_16<CpCache::kL2>(dst + 2 * kTileBytes, ok1 ? q0 + kTileBytes : w_lane, ok1 ? 16u : 0u);
    cp_async_16<CpCache::kL2>(dst + 3 * kTileBytes, ok1 ? q1 + kTileBytes : w_lane, ok1 ? 16u : 0u);
  };
  auto read_w = [&](uint4 (&buf)[kStepTiles][kBlocks], int slot) {
    const uint4* src = reinterpret_cast<const uint4*>(s_w_base + slot * kWSlotBytes) + lane;
#pragma unroll
    for (int u = 0; u < kStepTiles; ++u)
#pragma unroll
      for (int b = 0; b < kBlocks; ++b) buf[u][b] = src[(u * kBlocks + b) * 32];
  };
  // The mma variant's scales (and zeros) of step s (group >= 128: one group per step), fetched
  // with the step's weights, two steps ahead (see process_tc): sb[r] = the raw bits
  // of lane row r's scale, sb[kLaneRows + r] its zero. Raw, not packed into pairs: a pack here is
  // an instruction that waits for the loads at once (a DRAM round trip per step).
  auto load_sc = [&](uint32_t (&sb)[sc_values(kZeros)], int s) {
    const int kk = (t_begin + step_tile(s, 0)) * kTileK;
    const int64_t off = group_row(kk);
    const uint16_t* ptr = reinterpret_cast<const uint16_t*>(scales);
    const uint16_t* zsrc = reinterpret_cast<const uint16_t*>(zeros);
    if constexpr (kNatural) asm volatile("mov.b64 %0, %0;" : "+l"(ptr));
#pragma unroll
    for (int r = 0; r < kLaneRows; ++r) {
      sb[r] = ptr[off + lane_row(g, r)];
      if constexpr (kZeros) sb[kLaneRows + r] = zsrc[off + lane_row(g, r)];
    }
  };
  // Groups 64 / 32 in the mma variant: step s's scales (and zeros) into scale slot `slot` of the
  // warp's shared ring, one 8-byte cp.async per lane (rows 4 (lane % 8) .. + 3 of piece lane / 8),
  // two steps ahead as the weights are: per-piece loads at the step's start were a DRAM round
  // trip before each piece's conversion (as group >= 128's were, see load_sc), and a register
  // ring of 2-4 pieces does not fit the register budget. The copy joins the activations' copy
  // groups (see k_loop).
  auto copy_sc = [&](int s, int slot, auto pieces) {
    constexpr int kPieces = decltype(pieces)::value;  // 2 (group 64) or 4 (group 32)
    const int pc = lane >> 3;
    if (kPieces == kScPieces || pc < kPieces) {
      const int kk = (t_begin + step_tile(s, 0)) * kTileK + pc * (2 * kTileK / kPieces);
      const int64_t off = group_row(kk) + 4 * (lane & 7);
      const uint32_t dst = s_sc_warp + sc_slot_bytes(kZeros) * slot + kScPieceBytes * pc +
                           8 * (lane & 7);
      cp_async_8(dst, scales + off);
      if constexpr (kZeros) cp_async_8(dst + kScPieces * kScPieceBytes, zeros + off);
    }
  };
  // Activations of step s (s < steps) into ring slot `slot`; a lone last tile is zero-filled (its
  // weights are zero too), so the math needs no tail branch. Steps are copied in order, one call
  // per step: the mma variant's copy source (token row 0 at the step's first tile) is a pointer
  // that advances by one step's tiles (2 kW) per call instead of an address rebuilt from s.
  const int64_t a_step = static_cast<int64_t>(2 * kW) * kTileK;
  [[maybe_unused]] const T* a_next = a_src + static_cast<int64_t>(2 * warp) * kTileK;
  auto copy_a = [&](int s, int slot) {
    const int t = step_tile(s, 0);
    const bool ok1 = t + 1 < n_tiles;
    // Rows past M copy row M - 1, each row indexed (walking one pointer over the rows spilled in
    // the FMA kernels at MT = 6, 7).
    // The mma variant's common step (every row exists, both tiles in range) takes a path without
    // selects: immediate ring offsets, one pointer walking the rows (~60 fewer instructions per
    // step at MT = 8 while that kernel still copied permuted rows; it is used at MT = 2, 3 now).
    // MT = 1 keeps the indexed copy, which measured 1-3% faster there (H100, bench/NOTES.md
    // session 11).
    constexpr bool kFast = kTc && MT > 1;
    const T* walk = kFast ? a_next : a_src + static_cast<int64_t>(t) * kTileK;
    if constexpr (kFast) a_next += a_step;
    if (kFast && ok1 && m_valid == MT) {
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        cp_async_4(copy_dst + 4 * 32 * (m + MT * (0 + kStepTiles * slot)), walk, 4u);
        cp_async_4(copy_dst + 4 * 32 * (m + MT * (1 + kStepTiles * slot)), walk + kTileK, 4u);
        walk += p.lda;
      }
      cp_async_commit();
      return;
    }
#pragma unroll
    for (int m = 0; m < MT; ++m) {
      const T* src = a_src + min(m, m_valid - 1) * p.lda + static_cast<int64_t>(t) * kTileK;
      cp_async_4(copy_dst + 4 * 32 * (m + MT * (0 + kStepTiles * slot)), src, 4u);
      cp_async_4(copy_dst + 4 * 32 * (m + MT * (1 + kStepTiles * slot)), ok1 ? src + kTileK : src,
                 ok1 ? 4u : 0u);
    }
    cp_async_commit();
  };
  // Natural rows' copies (16 B each, through L1): lane copies chunk lane % 8 of token rows
  // lane / 8 + 4i (i < ceil(MT / 4), rows < MT) for both tiles of the step, so that one
  // instruction covers 4 whole 128-B rows (16 rows x 32 B per instruction measured 0.87-1.03x at
  // MT = 16); the second tile's row is 128 B further in global and MT rows further in the ring.
  // Rows past M and a lone last tile are zero-filled (from token row 0's address: no read), in a
  // branch of their own so that the common step has no selects.
  const int copy_row = lane >> 3;
  const T* a_chunk = static_cast<const T*>(p.a) + m_base * p.lda +
                     static_cast<int64_t>(t_begin) * kTileK + 8 * (lane & 7);  // token row 0
  // Held in a register (opaque move): ptxas otherwise rebuilds it from the thread index every step.
  uint32_t tc_copy_dst = s_act_warp + 4 * kTcRowWords * copy_row + 16 * (lane & 7);
  if constexpr (kNatural) asm volatile("mov.b32 %0, %0;" : "+r"(tc_copy_dst));
  // The lane's source row (copy_row) at its next step's first tile, advanced per call as a_next.
  const T* a_copy = a_chunk + copy_row * p.lda + static_cast<int64_t>(2 * warp) * kTileK;
  auto copy_a_tc = [&](int s, int slot) {
    const int t = step_tile(s, 0);
    const T* tile0 = a_chunk + static_cast<int64_t>(t) * kTileK;
    const uint32_t dst = tc_copy_dst + 4 * kTcRowWords * MT * kStepTiles * slot;
    constexpr uint32_t kNextTile = 4 * kTcRowWords * MT;  // ring bytes from tile 0's row to tile 1's
    constexpr uint32_t kFourRows = 4 * kTcRowWords * 4;
    const int64_t stride = p.lda;
    const T* src = a_copy;
    a_copy += a_step;
    const bool ok1 = t + 1 < n_tiles;
    // Row copy_row + 4i exists in the ring (always when MT is a multiple of 4).
    auto in_ring = [&](int i) { return MT % 4 == 0 || copy_row + 4 * i < MT; };
    constexpr int kCopies = (MT + 3) / 4;
    if (ok1 && m_valid == MT) {
#pragma unroll
      for (int i = 0; i < kCopies; ++i) {
        if (in_ring(i)) {
          cp_async_16<CpCache::kL1>(dst + kFourRows * i, src, 16u);
          cp_async_16<CpCache::kL1>(dst + kFourRows * i + kNextTile, src + kTileK, 16u);
        }
        src += 4 * stride;
      }
    } else {
#pragma unroll
      for (int i = 0; i < kCopies; ++i) {
        if (!in_ring(i)) break;
        const bool valid = copy_row + 4 * i < m_valid;
        const T* from = valid ? src : tile0;
        cp_async_16<CpCache::kL1>(dst + kFourRows * i, from, valid ? 16u : 0u);
        cp_async_16<CpCache::kL1>(dst + kFourRows * i + kNextTile, ok1 ? from + kTileK : from,
                                  valid && ok1 ? 16u : 0u);
        src += 4 * stride;
      }
    }
    cp_async_commit();
  };

  float acc[MT][kLaneRows];
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int r = 0; r < kLaneRows; ++r) acc[m][r] = 0.f;

  // Scales (and zeros) of the group holding k index kk (group_row), for the lane's 4 rows.
  auto load_sz = [&](int kk, float (&s4)[kLaneRows], float (&z4)[kLaneRows]) {
    const int64_t off = group_row(kk);
    const T* sp = scales;
    if constexpr (kNatural) asm volatile("mov.b64 %0, %0;" : "+l"(sp));
#pragma unroll
    for (int r = 0; r < kLaneRows; ++r) {
      s4[r] = load_as_float<T>(sp + off + lane_row(g, r));
      if (kZeros) z4[r] = load_as_float<T>(zeros + off + lane_row(g, r));
    }
  };

  // kPartial weight values: 1 + q / 2^p as fp32 from a nibble in bits 15..18 (p = 8, rows g) or
  // 19..22 (p = 4, rows g + 8); q = nibble ^ 8, the lop3 xor folds it in.
  constexpr float kMul0 = 256.f, kMul1 = 16.f;
  auto win0 = [](uint32_t t) { return __uint_as_float(lop3<0x6A>(t, 0x00078000u, 0x3F840000u)); };
  auto win1 = [](uint32_t t) { return __uint_as_float(lop3<0x6A>(t, 0x00780000u, 0x3FC00000u)); };

  // One step: two tiles of both blocks against every token row, as four 32-k half tiles. A group
  // piece is a run of half tiles in one group. Every step starts at a multiple of 128 k (splits
  // start at even tiles), so the pieces are fixed by the group size alone: kPieceQ = half tiles
  // per piece = 4 (group >= 128, or group = K: one piece per step), 2 (group 64: one per tile),
  // 1 (group 32) -- compile-time boundaries, no per-half-tile group arithmetic. For MT <= 4 the
  // next piece's scales (and zeros) are fetched one piece ahead, so their latency hides behind a
  // piece of work (MT > 4 has no registers to spare: 8 more spilled there).
  auto process = [&](const uint4 (&cur)[kStepTiles][kBlocks], int s, int slot, auto piece_q) {
    constexpr int kPieceQ = decltype(piece_q)::value;
    static_assert(kPieceQ == 1 || kPieceQ == 2 || kPieceQ == 4, "half tiles per group piece");
    const int k_step = (t_begin + step_tile(s, 0)) * kTileK;
    float s4[kLaneRows], z4[kLaneRows];
    constexpr bool kAhead = kPieceQ < 4 && kPartial;
    float ns4[kLaneRows], nz4[kLaneRows];  // the next piece's (kAhead)
    float part[MT][kLaneRows];  // kPartial: unscaled sums of the current group piece
    float asum[MT];             // kPartial: activation sum of the piece (lane's k only)
    auto reset = [&]() {
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        asum[m] = 0.f;
#pragma unroll
        for (int r = 0; r < kLaneRows; ++r) part[m][r] = 0.f;
      }
    };
    auto flush = [&]() {
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        // kPartial: part[m][r] = sum of v * x with v = 1 + q / 2^p (p = 8 for rows g, 4 for g+8),
        // so sum (q - 8) x = 2^p part - (2^p + 8) asum.
        const float off0 = -(kMul0 + 8.f) * asum[m], off1 = -(kMul1 + 8.f) * asum[m];
#pragma unroll
        for (int r = 0; r < kLaneRows; ++r) {
          const float v = fmaf(part[m][r], r & 1 ? kMul1 : kMul0, r & 1 ? off1 : off0);
          acc[m][r] = fmaf(v, s4[r], acc[m][r]);
          if (kZeros) acc[m][r] = fmaf(asum[m], z4[r], acc[m][r]);
        }
      }
    };
    load_sz(k_step, s4, z4);
    if (kAhead) load_sz(k_step + 32 * kPieceQ, ns4, nz4);
    if (kPartial) reset();
#pragma unroll
    for (int q = 0; q < 2 * kStepTiles; ++q) {  // half tile q: tile u = q / 2, j = 2h, 2h + 1
      const int u = q >> 1, h = q & 1;
      if (kPieceQ < 4 && q > 0 && q % kPieceQ == 0) {
        if (kPartial) {
          flush();
          reset();
        }
        if (kAhead) {
#pragma unroll
          for (int r = 0; r < kLaneRows; ++r) {
            s4[r] = ns4[r];
            if (kZeros) z4[r] = nz4[r];
          }
          if (q + kPieceQ < 2 * kStepTiles) load_sz(k_step + 32 * (q + kPieceQ), ns4, nz4);
        } else {
          load_sz(k_step + 32 * q, s4, z4);
        }
      }
      // Words 8c + 4h .. +3 of each token: the (ka, kc) pairs of j = 2h, 2h+1. One LDS.128 per
      // token and half for MT <= 4; MT > 4 loads per sub-block (LDS.64) to bound registers.
      uint4 av[MT];
      auto act_addr = [&](int m, int word) {
        return s_act_warp + 4 * (32 * (m + MT * (u + kStepTiles * slot)) + 8 * c + word);
      };
      if (kPartial) {
#pragma unroll
        for (int m = 0; m < MT; ++m)
          asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];"
                       : "=r"(av[m].x), "=r"(av[m].y), "=r"(av[m].z), "=r"(av[m].w)
                       : "r"(act_addr(m, 4 * h)));
      }
#pragma unroll
      for (int jj = 0; jj < 2; ++jj) {
        const int j = 2 * h + jj;
        if (!kPartial) {
#pragma unroll
          for (int m = 0; m < MT; ++m) {
            uint32_t* d = jj == 0 ? &av[m].x : &av[m].z;
            asm volatile("ld.shared.v2.u32 {%0, %1}, [%2];"
                         : "=r"(d[0]), "=r"(d[1])
                         : "r"(act_addr(m, 2 * j)));
          }
        }
        // wf[r] = (ka, ka+1, kc, kc+1) of lane row r.
        float wf[kLaneRows][4];
#pragma unroll
        for (int b = 0; b < kBlocks; ++b) {
          const uint4& v = cur[u][b];
          const uint32_t word = j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
          if (kPartial) {
            // Nibbles (2i, 2i+1) = rows (g, g+8) at one k; shifted by 15 - 8i they sit in bits
            // 15..18 and 19..22, and one lop3 each makes the fp32 1 + q/256 (row g) or 1 + q/16.
            const uint32_t t0 = word << 15, t1 = word << 7, t2 = word >> 1, t3 = word >> 9;
            float* r0 = wf[2 * b];
            float* r1 = wf[2 * b + 1];
            r0[0] = win0(t0); r0[1] = win0(t2); r0[2] = win0(t1); r0[3] = win0(t3);
            r1[0] = win1(t0); r1[1] = win1(t2); r1[2] = win1(t1); r1[3] = win1(t3);
            continue;
          }
          T2 pr[4];
          int4x8_to_pairs<T>(word, pr);
          const float2 f0 = Tr::to_float2(pr[0]), f1 = Tr::to_float2(pr[1]);
          const float2 f2 = Tr::to_float2(pr[2]), f3 = Tr::to_float2(pr[3]);
          float* r0 = wf[2 * b];
          float* r1 = wf[2 * b + 1];
          r0[0] = f0.x; r0[1] = f0.y; r0[2] = f2.x; r0[3] = f2.y;
          r1[0] = f1.x; r1[1] = f1.y; r1[2] = f3.x; r1[3] = f3.y;
        }
        if (!kPartial) {
#pragma unroll
          for (int r = 0; r < kLaneRows; ++r)
#pragma unroll
            for (int i = 0; i < 4; ++i)
              wf[r][i] = kZeros ? fmaf(wf[r][i], s4[r], z4[r]) : wf[r][i] * s4[r];
        }
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          const uint32_t pa = jj == 0 ? av[m].x : av[m].z;  // (x[ka], x[ka+1])
          const uint32_t pc = jj == 0 ? av[m].y : av[m].w;  // (x[kc], x[kc+1])
          const float2 xa = Tr::to_float2(as_pair<T2>(pa));
          const float2 xc = Tr::to_float2(as_pair<T2>(pc));
          const float af[4] = {xa.x, xa.y, xc.x, xc.y};
          if (kPartial) asum[m] += (af[0] + af[1]) + (af[2] + af[3]);
#pragma unroll
          for (int r = 0; r < kLaneRows; ++r)
#pragma unroll
            for (int i = 0; i < 4; ++i) {
              if (kPartial) part[m][r] = fmaf(wf[r][i], af[i], part[m][r]);
              else acc[m][r] = fmaf(wf[r][i], af[i], acc[m][r]);
            }
        }
      }
    }
    if (kPartial) flush();
  };

  // kTc: per token tile nt and block b the mma D fragment: c0, c1 = (row g, tokens 8nt + 2c,
  // +1), c2, c3 = row g + 8.
  constexpr int kNt = (MT + 7) / 8;
  float acc_tc[kNt][kBlocks][4];
#pragma unroll
  for (int nt = 0; nt < kNt; ++nt)
#pragma unroll
    for (int b = 0; b < kBlocks; ++b)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc_tc[nt][b][i] = 0.f;
  // Natural rows: the ldmatrix row a lane addresses. MT = 16: token lane % 8 of token tile
  // lane / 16 at chunk (lane / 8) % 2 of the sub-block (one ldmatrix.x4: both token tiles of one
  // sub-block). MT <= 8: token lane % 8 (clamped to MT - 1: columns n >= MT are dropped) at chunk
  // lane / 8 of the half tile (one ldmatrix.x4: both sub-blocks of a half tile, the words one
  // LDS.128 of the permuted rows gives). Held in a register as tc_copy_dst is.
  uint32_t ldsm_lane =
      kNt == 2
          ? s_act_warp + 4 * kTcRowWords * ((lane & 7) + 8 * (lane >> 4)) + 16 * ((lane >> 3) & 1)
          : s_act_warp + 4 * kTcRowWords * min(lane & 7, MT - 1) + 16 * (lane >> 3);
  if constexpr (kNatural) asm volatile("mov.b32 %0, %0;" : "+r"(ldsm_lane));
  // fp16: the shift-saving dequantization yields rows g + 8 times 16 (exact); 1/16 at the flush.
  constexpr bool kX16 = std::is_same<T, half>::value;
  auto process_tc = [&](const uint4 (&cur)[kStepTiles][kBlocks],
                        const uint32_t (&cur_sc)[sc_values(kZeros)], int s, int slot,
                        int sc_slot, auto piece_q) {
    constexpr int kPieceQ = decltype(piece_q)::value;
    // One group per step (group >= 128): the step's scales (and zeros) came with its weights, two
    // steps ahead (load_sc). Loaded here, at the step's start, they were the k loop's top stall
    // (ncu: 16% of the samples on one conversion, which ptxas places right after the loads, where
    // the flush needs them only at the step's end): H100 1.00-1.19x scale-only, 1.10-1.25x with
    // zeros (bench/NOTES.md, session 12). Groups 64 / 32 (2 or 4 pieces a step, too many
    // registers to hold two steps ahead) take theirs from the warp's shared scale ring (copy_sc),
    // slot sc_slot, fetched as far ahead: H100 1.07-1.28x scale-only, 1.22-1.28x with zeros
    // (medians, config 4; bench/NOTES.md, session 13).
    constexpr bool kSharedScales = kPieceQ < 4 || kSmemW;
    // Group 32 (a piece per half tile) at MT = 16 scales the dequantized weights before the mma
    // (one HMUL2 per pair; the products round to T once: 2^-11 relative in fp16, 2^-8 in bf16,
    // as in the tensor-core GEMV) and accumulates straight into acc_tc, instead of two token
    // tiles' per-piece sums with their reset and flush 4 times a step: H100 4096² M = 12-16
    // 1.05-1.10x. With one token tile (MT <= 8) the flush is half as long and scaling lost
    // (0.80-0.91x), so it stays (bench/NOTES.md, session 10).
    // Zeros (w = s (q - 8) + z) take the same route at every MT and group: one HFMA2 per pair
    // applies both, where the per-piece sums would need a second accumulator per row for z times
    // the activation sum.
    constexpr bool kScaleA = kZeros || (kPieceQ == 1 && kNt == 2);
    float s4[kLaneRows];
    [[maybe_unused]] T2 sp[kBlocks];  // kScaleA: the pairs (scale of row g, of row g + 8)
    [[maybe_unused]] T2 zp[kBlocks];  // kScaleA with zeros: the same pairs of zeros
    auto load_scales = [&](int piece) {
      // v: the raw bits of the piece's scales (v[r], lane row r) and zeros (v[kLaneRows + r]).
      uint32_t v[sc_values(kZeros)];
#pragma unroll
      for (int i = 0; i < sc_values(kZeros); ++i) {
        if constexpr (kSharedScales) {
          const int r = i % kLaneRows;
          const int area = i / kLaneRows;  // 0 scales, 1 zeros
          v[i] = s_sc_ptr[(sc_slot_bytes(kZeros) * sc_slot +
                           kScPieces * kScPieceBytes * area + kScPieceBytes * piece) / 2 +
                          lane_row(g, r)];
        } else {
          v[i] = cur_sc[i];
        }
      }
      auto pair = [](uint32_t lo, uint32_t hi) {
        return as_pair<T2>(lo | hi << 16);
      };
#pragma unroll
      for (int b = 0; b < kBlocks; ++b) {
        if constexpr (kScaleA) {
          sp[b] = pair(v[2 * b], v[2 * b + 1]);
          if constexpr (kZeros) {
            zp[b] = pair(v[kLaneRows + 2 * b], v[kLaneRows + 2 * b + 1]);
          }
        } else {
          s4[2 * b] = Tr::to_float2(pair(v[2 * b], 0)).x;
          s4[2 * b + 1] = Tr::to_float2(pair(v[2 * b + 1], 0)).x;
        }
      }
    };
    float tmp[kScaleA ? 1 : kNt][kBlocks][4];
    auto reset = [&]() {
      if constexpr (!kScaleA) {
#pragma unroll
        for (int nt = 0; nt < kNt; ++nt)
#pragma unroll
          for (int b = 0; b < kBlocks; ++b)
#pragma unroll
            for (int i = 0; i < 4; ++i) tmp[nt][b][i] = 0.f;
      }
    };
    auto flush = [&]() {
      if constexpr (!kScaleA) {
#pragma unroll
        for (int nt = 0; nt < kNt; ++nt)
#pragma unroll
          for (int b = 0; b < kBlocks; ++b)
#pragma unroll
            for (int i = 0; i < 4; ++i) {
              const int r = 2 * b + (i >> 1);
              const float sc = kX16 && (i >> 1) ? s4[r] * 0.0625f : s4[r];
              acc_tc[nt][b][i] = fmaf(sc, tmp[nt][b][i], acc_tc[nt][b][i]);
            }
      }
    };
    load_scales(0);
    reset();
#pragma unroll
    for (int q = 0; q < 2 * kStepTiles; ++q) {  // half tile q: tile u = q / 2, j = 2h, 2h + 1
      const int u = q >> 1, h = q & 1;
      if (kPieceQ < 4 && q > 0 && q % kPieceQ == 0) {
        flush();
        reset();
        load_scales(q / kPieceQ);
      }
      // B fragments of token g (+ 8 nt). MT <= 3: words 8c + 4h .. +3 of the permuted row, one
      // LDS.128 per half tile; MT = 4..8 (natural rows): the same four words from one ldmatrix.x4
      // (see ldsm_lane). MT = 16 (natural rows): ldmatrix.x2 per sub-block and token tile,
      // matrices = activations 16j .. +7 and 16j + 8 .. +15 of 8 token rows (lane L addresses
      // row L % 8 of matrix (L / 8) % 2), which hands lane (g, c) the pair at k = 2c, 2c + 1 of
      // token g: b0, b1 of sub-block j. Columns n >= MT read any valid row; they are dropped.
      auto b_addr = [&](int nt, int word) {
        const int mb = min(8 * nt + g, MT - 1);
        return s_act_warp + 4 * (32 * (mb + MT * (u + kStepTiles * slot)) + 8 * c + word);
      };
      [[maybe_unused]] uint4 bv;  // MT <= 8 only (one token tile)
      if constexpr (kNatural && kNt == 1) {
        uint32_t r[4];
        ldmatrix_x4(r, ldsm_lane + 16 * (4 * h) + 4 * kTcRowWords * MT * (u + kStepTiles * slot));
        bv = make_uint4(r[0], r[1], r[2], r[3]);
      } else if constexpr (!kNatural) {
        asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];"
                     : "=r"(bv.x), "=r"(bv.y), "=r"(bv.z), "=r"(bv.w)
                     : "r"(b_addr(0, 4 * h)));
      }
#pragma unroll
      for (int jj = 0; jj < 2; ++jj) {
        const int j = 2 * h + jj;
        uint32_t bf[kNt][2];
        if constexpr (kNatural && kNt == 2) {
          uint32_t r[4];
          ldmatrix_x4(r, ldsm_lane + 16 * (2 * j) + 4 * kTcRowWords * MT * (u + kStepTiles * slot));
          bf[0][0] = r[0]; bf[0][1] = r[1]; bf[1][0] = r[2]; bf[1][1] = r[3];
        } else {
#pragma unroll
          for (int nt = 0; nt < kNt; ++nt) {
            bf[nt][0] = jj == 0 ? bv.x : bv.z;
            bf[nt][1] = jj == 0 ? bv.y : bv.w;
          }
        }
#pragma unroll
        for (int b = 0; b < kBlocks; ++b) {
          const uint4& v = cur[u][b];
          const uint32_t word = j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
          T2 pr[4];
          if constexpr (kScaleA) {
            // Pairs 0..3: rows g, g + 8, g, g + 8 (the x16 form would need scale / 16 in T,
            // which leaves fp16's normal range for scales below ~1e-3).
            int4x8_to_pairs<T>(word, pr);
            const T2 lo = Tr::lo_splat(sp[b]), hi = Tr::hi_splat(sp[b]);
            if constexpr (kZeros) {
              const T2 zlo = Tr::lo_splat(zp[b]), zhi = Tr::hi_splat(zp[b]);
              pr[0] = __hfma2(pr[0], lo, zlo);
              pr[1] = __hfma2(pr[1], hi, zhi);
              pr[2] = __hfma2(pr[2], lo, zlo);
              pr[3] = __hfma2(pr[3], hi, zhi);
            } else {
              pr[0] = __hmul2(pr[0], lo);
              pr[1] = __hmul2(pr[1], hi);
              pr[2] = __hmul2(pr[2], lo);
              pr[3] = __hmul2(pr[3], hi);
            }
          } else if constexpr (kX16) {
            gemv_tc::int4x8_to_pairs_x16(word, pr);
          } else {
            int4x8_to_pairs<T>(word, pr);
          }
          const uint32_t af[4] = {as_u32(pr[0]), as_u32(pr[1]), as_u32(pr[2]), as_u32(pr[3])};
#pragma unroll
          for (int nt = 0; nt < kNt; ++nt) {
            if constexpr (kScaleA) {
              mma_m16n8k16<T>(acc_tc[nt][b], af, bf[nt]);
            } else {
              mma_m16n8k16<T>(tmp[nt][b], af, bf[nt]);
            }
          }
        }
      }
    }
    flush();
  };

  // Weights of the two steps after the one being consumed stay in flight (2 x 4 x 16 B/lane) in a
  // 3-buffer ring unrolled by 3 (shifting buffers cost 32 moves per step); activations one step
  // (FMA kernels) or two (mma variant) ahead in the shared ring.
  {
    uint4 wb[3][kStepTiles][kBlocks];
    uint32_t sc[3][sc_values(kZeros)];  // mma variant, group >= 128: load_sc's values
    // The CTA's first two steps of every warp are one contiguous range of each block: one bulk
    // L2 prefetch each, so they are on their way before the wait even where the compiler
    // schedules some of the register loads below after it (it does).
    if (threadIdx.x == 0 && n_tiles > 0) {
      const uint32_t bytes = static_cast<uint32_t>(min(n_tiles, 4 * kW)) * kTileBytes;
      const uint8_t* first = w_lane - 16 * lane;
      prefetch_l2_bulk(first, bytes);
      prefetch_l2_bulk(first + blk_bytes, bytes);
    }
    // Group >= 128 (or K): one group per 128-k step (kPieceQ = 4 below).
    const bool group_per_step = p.group_shift >= 7;
    if constexpr (kSmemW) {
      // Uncommitted: they join step 0's activation copy group below.
      if (steps > 0) copy_w(0, 0);
      if (steps > 1) copy_w(1, 1);
    } else {
      load_w(wb[0], 0, false, std::true_type{});
      load_w(wb[1], 1, false, std::true_type{});
    }
    if constexpr (kTc) {
      if (!kSmemW && group_per_step) {
        if (steps > 0) load_sc(sc[0], 0);
        if (steps > 1) load_sc(sc[1], 1);
      } else {
        // Uncommitted: they join step 0's activation copy group below.
        auto first_copies = [&](auto pieces) {
          if (steps > 0) copy_sc(0, 0, pieces);
          if (steps > 1) copy_sc(1, 1, pieces);
        };
        // Pieces per step: 1 (group >= 128, config 7 only), 2 (group 64, group_shift 6) or 4
        // (group 32).
        if (kSmemW && group_per_step) first_copies(std::integral_constant<int, 1>{});
        else if (p.group_shift == 6) first_copies(std::integral_constant<int, 2>{});
        else first_copies(std::integral_constant<int, 4>{});
      }
    }
    // Weights and scales are never written by the kernel ahead (w4a16_set_pdl's contract): they
    // are fetched before the wait, everything else after it.
    grid_dependency_wait();
    allow_dependent_launch();
    auto copy_step = [&](int s, int slot) {
      if constexpr (kNatural) {
        copy_a_tc(s, slot);
      } else {
        copy_a(s, slot);
      }
    };
    // kAhead steps of activations in flight: one copy group per step (empty past the last).
    constexpr int kSlots = act_slots(MT, kTc, kDeepAct);
    constexpr int kAhead = kSlots - 1;
    if (steps > 0) copy_step(0, 0);
    if constexpr (kAhead == 2) {
      if (steps > 1) copy_step(1, 1);
      else cp_async_commit();
    } else if (kTc && (kSmemW || !group_per_step)) {
      cp_async_commit();  // the scale group of the k loop's wait count (see k_loop)
    }
    auto k_loop = [&](auto piece_q) {
      // pos = s % 3, the unrolled position: the slot of a 3-slot ring, so that its offsets are
      // immediates; a 2-slot ring's slot is s & 1.
      constexpr bool kStepScales = kTc && !kSmemW && decltype(piece_q)::value == 4;
      // Groups 64 / 32 (mma variant): step s + 2's scales are copied into the shared scale ring
      // (copy_sc). With activations two steps ahead they join that step's copy group; with one
      // (MT = 16) they form a group of their own after it, and step s waits for all but the 3
      // newest groups (this step's two and step s - 1's scales): step s's activations (step
      // s - 1's first group) and scales (step s - 2's second) have landed.
      constexpr bool kSharedScales = kTc && (kSmemW || decltype(piece_q)::value < 4);
      constexpr int kPending = kSharedScales && kAhead == 1 ? 3 : kAhead;
      const auto sc_pieces = std::integral_constant<int, 4 / decltype(piece_q)::value>{};
      auto one_step = [&](int s, const uint4 (&cur)[kStepTiles][kBlocks],
                          uint4 (&next2)[kStepTiles][kBlocks],
                          const uint32_t (&cur_sc)[sc_values(kZeros)],
                          uint32_t (&next2_sc)[sc_values(kZeros)], auto pos) {
        constexpr int kPos = decltype(pos)::value;
        if (!kSmemW && s + 2 < steps) {
          load_w(next2, s + 2, true, std::false_type{});
          if constexpr (kStepScales) load_sc(next2_sc, s + 2);
        }
        __syncwarp();  // every lane has read the slot of step s - 1, which the copy below refills
        // Step s + 2's scales (and config 7's weights) into the shared rings: before step
        // s + kAhead's activations when those are two ahead, in a group of their own after them
        // otherwise.
        auto copy_two_ahead = [&]() {
          if (s + 2 < steps) {
            if constexpr (kSmemW) copy_w(s + 2, (kPos + 2) % 3);
            copy_sc(s + 2, (kPos + 2) % 3, sc_pieces);
          }
        };
        if constexpr (kSharedScales && kAhead == 2) copy_two_ahead();
        if (s + kAhead < steps) copy_step(s + kAhead, kSlots == 3 ? (kPos + 2) % 3 : (s + 1) & 1);
        else cp_async_commit();
        if constexpr (kSharedScales && kAhead == 1) {
          copy_two_ahead();
          cp_async_commit();
        }
        cp_async_wait<kPending>();  // step s's copies (this lane's) have landed
        __syncwarp();               // ... and every other lane's
        if constexpr (kSmemW) {
          uint4 wcur[kStepTiles][kBlocks];
          read_w(wcur, kPos);
          process_tc(wcur, cur_sc, s, kSlots == 3 ? kPos : s & 1, kPos, piece_q);
        } else if constexpr (kTc) {
          process_tc(cur, cur_sc, s, kSlots == 3 ? kPos : s & 1, kPos, piece_q);
        } else {
          process(cur, s, s & 1, piece_q);
        }
      };
#pragma unroll 1
      for (int s = 0; s < steps; s += 3) {
        one_step(s, wb[0], wb[2], sc[0], sc[2], std::integral_constant<int, 0>{});
        if (s + 1 >= steps) break;
        one_step(s + 1, wb[1], wb[0], sc[1], sc[0], std::integral_constant<int, 1>{});
        if (s + 2 >= steps) break;
        one_step(s + 2, wb[2], wb[1], sc[2], sc[1], std::integral_constant<int, 2>{});
      }
    };
    if (group_per_step) k_loop(std::integral_constant<int, 4>{});
    else if (p.group_shift == 6) k_loop(std::integral_constant<int, 2>{});
    else k_loop(std::integral_constant<int, 1>{});  // group 32 (group_shift 5)
  }

  // The warp's ring becomes its s_red rows: its own copies must have landed first.
  cp_async_wait<0>();
  __syncwarp();
  if constexpr (kTc) {
    // Each (row, token) of the warp is one lane's: no quad sum.
#pragma unroll
    for (int nt = 0; nt < kNt; ++nt)
#pragma unroll
      for (int b = 0; b < kBlocks; ++b)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int m = 8 * nt + 2 * c + (i & 1);
          if (m < MT) s_red_of(warp, m)[lane_row(g, 2 * b + (i >> 1))] = acc_tc[nt][b][i];
        }
  } else {
    // Rows g, g+8 of each block are spread over the quad's 4 lanes (c): sum them, then the warps.
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int r = 0; r < kLaneRows; ++r) {
        acc[m][r] += __shfl_xor_sync(0xffffffffu, acc[m][r], 1);
        acc[m][r] += __shfl_xor_sync(0xffffffffu, acc[m][r], 2);
      }
    if (c == 0) {
#pragma unroll
      for (int m = 0; m < MT; ++m)
#pragma unroll
        for (int r = 0; r < kLaneRows; ++r) s_red_of(warp, m)[lane_row(g, r)] = acc[m][r];
    }
  }
  __syncthreads();
  for (int i = threadIdx.x; i < MT * kRowsPerCta; i += blockDim.x) {
    const int m = i / kRowsPerCta, row = i % kRowsPerCta;
    if (m >= m_valid) continue;
    float v = s_red_of(0, m)[row];
#pragma unroll
    for (int w = 1; w < kW; ++w) v += s_red_of(w, m)[row];  // warp order: deterministic
    const int64_t n = n_cta + row;
    if (p.partial != nullptr) {
      p.partial[(static_cast<int64_t>(split) * p.m + m_base + m) * p.n + n] = v;
    } else {
      if (kBias) v += load_as_float<T>(static_cast<const T*>(p.bias) + n);
      static_cast<T*>(p.c)[(m_base + m) * p.ldc + n] = Tr::from_float(v);
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
  grid_dependency_wait();  // the partials come from the kernel ahead
  allow_dependent_launch();
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

// How a launch shapes the mma variant's CTAs (configs 4-7; the FMA kernels of config 0 take
// kByGrid).
enum class Ctas {
  kByGrid,        // warps_for / max_warps_for warps, by the grid (see max_warps_for)
  kNarrow,        // kNarrowWarps warps whatever the grid (config 5)
  kNarrowCapped,  // kNarrow held to kNarrowCtasPerSm CTAs per SM (config 6)
  kByGridSmemW,   // kByGrid with the shared weight ring (kSmemW), at most 2 CTAs per SM (config 7)
};
// Config 6: at <= 136 registers five 3-warp CTAs fit an SM, and with zeros that measured
// 0.94-0.97x of four at M = 1 and 4-8 on the H100 (28672 x 4096 / 8192, group 128; ncu: 12.5 warps
// per SM instead of 10.7, DRAM throughput 53% instead of 55%), while holding the H200 to four lost
// 3-7% on 28672 x 8192 (the fifth CTA feeds its higher bandwidth): a choice for the per-card
// tables, not a launch rule (bench/NOTES.md, sessions 13 and 14). Such launches ask for at least
// kNarrowCapSmem bytes of shared memory, which a fifth CTA does not find on sm_90 (228 KB per SM,
// 1 KB reserved per CTA; checked below); below the 48 KB a launch gets without asking.
constexpr int kNarrowCtasPerSm = 4;
constexpr size_t kNarrowCapSmem = 45696;
constexpr size_t kSm90SmemPerSm = 233472, kSmemPerCtaReserved = 1024;
constexpr size_t kNarrowCapCtaSmem = kNarrowCapSmem + kSmemPerCtaReserved;
static_assert(kNarrowCtasPerSm * kNarrowCapCtaSmem <= kSm90SmemPerSm &&
                  (kNarrowCtasPerSm + 1) * kNarrowCapCtaSmem > kSm90SmemPerSm &&
                  kNarrowCapSmem <= 48 * 1024,
              "config 6's shared request leaves room for exactly kNarrowCtasPerSm CTAs per SM");
// Config 7 on grids of more than one CTA per SM: its kernels need 74-136 registers, so a third
// 6-warp CTA would fit an SM where the register-ring kernels fit two (session 15 measured the
// uncapped launch 0.83-0.93x at M <= 4 on such grids); this request keeps it at two.
constexpr size_t kTwoPerSmSmem = 76816;
static_assert(3 * (kTwoPerSmSmem + kSmemPerCtaReserved) > kSm90SmemPerSm &&
                  2 * (kTwoPerSmSmem + kSmemPerCtaReserved) <= kSm90SmemPerSm,
              "config 7's shared request leaves room for exactly two CTAs per SM");

// Dynamic shared memory of one launch of the mma variant's `Kernel` (token tile MT) with `threads`
// threads and at least `min_smem` bytes (FMA kernels: static rings, 0 + min_smem); raises the
// kernel's limit once per device to its largest ring (max_warps_for warps) where that passes the
// 48 KB a launch gets without asking.
template <auto Kernel, int MT, bool kTc, bool kZeros, bool kSmemW = false, bool kDeepAct = false>
cudaError_t launch_smem(const Params& q, int threads, size_t min_smem, size_t* smem) {
  constexpr size_t kDefaultSmem = 48 * 1024;
  // The deep-ring kernel runs only as kWideMt16Warps warps (launch_mt).
  constexpr int kMaxWarps = kDeepAct ? kWideMt16Warps : max_warps_for(MT, kTc);
  constexpr size_t kMaxRing =
      kTc ? std::max(ring_bytes<MT, kTc, kZeros, kDeepAct>(kMaxWarps, true, kSmemW),
                     kSmemW ? kTwoPerSmSmem : size_t{0})
          : 0;
  if constexpr (kMaxRing > kDefaultSmem) {
    const cudaError_t err = ensure_dynamic_smem<Kernel>(static_cast<int>(kMaxRing));
    if (err != cudaSuccess) return err;
  }
  const size_t ring =
      kTc ? ring_bytes<MT, kTc, kZeros, kDeepAct>(threads / 32, kSmemW || q.group_shift < 7, kSmemW)
          : 0;
  *smem = std::max(ring, min_smem);
  return cudaSuccess;
}

// One launch of `Kernel` (token tile MT, mma variant kTc) with `threads` threads and at least
// `min_smem` bytes of shared memory (launch_smem).
template <auto Kernel, int MT, bool kTc, bool kZeros, bool kSmemW = false, bool kDeepAct = false>
cudaError_t launch_one(const Params& q, dim3 grid, int threads, size_t min_smem, bool pdl,
                       cudaStream_t stream) {
  size_t smem = 0;
  const cudaError_t err =
      launch_smem<Kernel, MT, kTc, kZeros, kSmemW, kDeepAct>(q, threads, min_smem, &smem);
  if (err != cudaSuccess) return err;
  return launch_kernel(Kernel, grid, dim3(threads), smem, stream, pdl, dim3(1, 1, 1), q);
}

// Balanced last wave (configs 4-6, split 1): a grid of B CTAs where an SM holds C of W warps
// runs in ceil(B / (C x SMs)) waves, and a sparse last wave keeps most warp slots empty for a
// whole CTA's time (H100, config 5 at M = 16: 22528 x 4096, 1.33 waves, took 24.2 us against
// 14.1 us for one full wave). So when the last wave would hold at most half of an SM's CTAs, its
// row blocks go to a second launch of the same kernel whose CTAs have more warps (the same warps
// per SM over fewer CTAs: W x C / ceil(rest / SMs)), i.e. fewer k steps per warp: H100
// 1.07-1.13x on 22528 x 4096, 1.14-1.22x on 18944 x 3584 (config 5), 1.05-1.12x on 10240 x 8192
// (config 4). Fuller last waves stay: at 0.7 of a wave (28672 rows, 4-warp CTAs in the second
// launch) group 64 lost 13-18% (bench/NOTES.md, session 21). With PDL the second launch's CTAs
// take the slots the first frees, prefetch their first weights and wait for it to finish (they
// read nothing it writes, but the next kernel waits only for the last launch).
// `plan` holds {row blocks, warps} per launch, in order: left as the caller set it (one launch)
// unless the last wave splits.
struct LaunchPart {
  int64_t blocks;
  int warps;
};
template <auto Kernel, int MT, bool kZeros>
cudaError_t balance_last_wave(const Params& q, int64_t n_blocks, int warps, size_t min_smem,
                              int sms, int warps_one_per_sm, LaunchPart (&plan)[2]) {
  const bool sc_ring = q.group_shift < 7;
  const int capped = min_smem > 0 ? 1 : 0;
  auto occupancy = [&](int w, int* ctas) {
    size_t smem = 0;
    cudaError_t err = launch_smem<Kernel, MT, true, kZeros>(q, 32 * w, min_smem, &smem);
    if (err != cudaSuccess) return err;
    return ctas_per_sm<Kernel>(32 * w, smem, (w * 2 + (sc_ring ? 1 : 0)) * 2 + capped, ctas);
  };
  int per_sm = 0;
  cudaError_t err = occupancy(warps, &per_sm);
  if (err != cudaSuccess || per_sm <= 0) return err;
  const int64_t wave = static_cast<int64_t>(per_sm) * sms;
  if (n_blocks <= wave || n_blocks % wave == 0) return cudaSuccess;
  const int64_t full = n_blocks / wave * wave;
  const int64_t rest = n_blocks - full;
  const int per_sm_rest = static_cast<int>((rest + sms - 1) / sms);
  if (2 * per_sm_rest > per_sm) return cudaSuccess;
  int w = per_sm_rest == 1 ? warps_one_per_sm
                           : std::min(max_warps_for(MT, true), warps * per_sm / per_sm_rest);
  for (; w > warps; --w) {
    int fit = 0;
    err = occupancy(w, &fit);
    if (err != cudaSuccess) return err;
    if (fit >= per_sm_rest) break;
  }
  if (w <= warps) return cudaSuccess;
  plan[0] = {full, warps};
  plan[1] = {rest, w};
  return cudaSuccess;
}

// tc: the mma variant (configs 4-7), whose CTAs `ctas` shapes.
template <typename T, int MT, bool kZeros, bool kBias>
cudaError_t launch_mt(const Params& p, int split_k, bool pdl, bool tc, Ctas ctas,
                      cudaStream_t stream) {
  const int64_t m_blocks = (p.m + MT - 1) / MT;
  const int64_t n_blocks = p.n / kRowsPerCta;
  if (m_blocks > 0x7fffffff || split_k > 65535) return cudaErrorInvalidValue;
  // At most one CTA per SM: the large CTA (see max_warps_for).
  int device = 0, sms = 0;
  const cudaError_t qerr = current_device_sm_count(&device, &sms);
  if (qerr != cudaSuccess) return qerr;
  const bool wide = m_blocks * std::min<int64_t>(n_blocks, 65535) * split_k <= sms;
  const bool smemw = tc && ctas == Ctas::kByGridSmemW;
  const bool narrow = tc && (ctas == Ctas::kNarrow || ctas == Ctas::kNarrowCapped);
  const bool mt16_fewer =
      tc && MT == kMaxTcMT && (smemw || (p.tiles_per_split + 1) / 2 <= kFewSteps);
  // Warps of a CTA alone on its SM (a grid of at most one CTA per SM).
  const int wide_warps = mt16_fewer ? kWideMt16Warps : max_warps_for(MT, tc);
  const int warps = narrow ? kNarrowWarps : wide ? wide_warps : warps_for(MT, tc);
  const size_t min_smem = narrow && ctas == Ctas::kNarrowCapped ? kNarrowCapSmem
                          : smemw && !wide                      ? kTwoPerSmSmem
                                                                : 0;
  constexpr auto kMma = gemv_kernel<T, MT, kZeros, kBias, true>;
  LaunchPart plan[2] = {{n_blocks, warps}, {0, 0}};
  if (tc && !smemw && split_k == 1 && m_blocks == 1 && !wide) {
    // A second launch of one CTA per SM takes the wide shape.
    const cudaError_t err = balance_last_wave<kMma, MT, kZeros>(p, n_blocks, warps, min_smem, sms,
                                                                wide_warps, plan);
    if (err != cudaSuccess) return err;
  }
  // gridDim.y is capped at 65535: N beyond 65535 * kRowsPerCta channels takes several launches.
  constexpr int64_t kMaxGridY = 65535;
  int64_t base = 0;
  for (const LaunchPart& part : plan) {
    const int threads = 32 * part.warps;
    for (const int64_t end = base + part.blocks; base < end;) {
      const int64_t blocks = std::min(kMaxGridY, end - base);
      Params q = p;
      q.n_block_base = base;
      base += blocks;
      const dim3 grid(static_cast<unsigned>(m_blocks), static_cast<unsigned>(blocks),
                      static_cast<unsigned>(split_k));
      // MT = kMaxTcMT exists only as the mma variant (launch_gemv never asks for the other).
      cudaError_t err = cudaErrorInvalidValue;
      {
        constexpr auto kMmaSmemW = gemv_kernel<T, MT, kZeros, kBias, true, true>;
        // Config 7, 16 tokens, one CTA per SM: activations two steps ahead (act_slots).
        constexpr bool kDeep = MT == kMaxTcMT;
        constexpr auto kMmaSmemWDeep = gemv_kernel<T, MT, kZeros, kBias, true, true, kDeep>;
        if (tc && !smemw) {
          err = launch_one<kMma, MT, true, kZeros>(q, grid, threads, min_smem, pdl, stream);
        } else if (smemw && kDeep && wide) {
          err = launch_one<kMmaSmemWDeep, MT, true, kZeros, true, kDeep>(q, grid, threads,
                                                                         min_smem, pdl, stream);
        } else if (smemw) {
          err = launch_one<kMmaSmemW, MT, true, kZeros, true>(q, grid, threads, min_smem, pdl,
                                                              stream);
        }
      }
      if constexpr (MT <= kMaxMT) {
        constexpr auto kFma = gemv_kernel<T, MT, kZeros, kBias>;
        if (!tc) err = launch_one<kFma, MT, false, kZeros>(q, grid, threads, 0, pdl, stream);
      }
      if (err != cudaSuccess) return err;
    }
  }
  return cudaSuccess;
}

// The instantiation list: MT = M for M <= 8 (no wasted rows), MT = 8 otherwise; each also as the
// mma variant (kTc), which takes M > 8 as MT = 16 (two token tiles share each dequantized weight
// word).
template <typename T, bool kZeros, bool kBias>
cudaError_t launch_gemv(const Params& p, int split_k, bool pdl, bool tc, Ctas ctas,
                        cudaStream_t stream) {
  if (tc && p.m > kMaxMT) {
    return launch_mt<T, kMaxTcMT, kZeros, kBias>(p, split_k, pdl, true, ctas, stream);
  }
  const int64_t mt = std::min<int64_t>(p.m, kMaxMT);
  switch (mt) {
    case 1: return launch_mt<T, 1, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 2: return launch_mt<T, 2, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 3: return launch_mt<T, 3, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 4: return launch_mt<T, 4, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 5: return launch_mt<T, 5, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 6: return launch_mt<T, 6, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 7: return launch_mt<T, 7, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    case 8: return launch_mt<T, 8, kZeros, kBias>(p, split_k, pdl, tc, ctas, stream);
    default: return cudaErrorInvalidValue;
  }
}

template <typename T, bool kBias>
cudaError_t launch_reduce(const Params& p, int split_k, bool pdl, cudaStream_t stream) {
  constexpr int kReduceThreads = 256;
  const int64_t total = p.m * (p.n / 4);
  const int64_t want = (total + kReduceThreads - 1) / kReduceThreads;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(want, 65536));
  return launch_kernel(splitk_reduce_kernel<T, kBias>, dim3(blocks), dim3(kReduceThreads), 0,
                       stream, pdl, dim3(1, 1, 1), static_cast<const float*>(p.partial), split_k,
                       p.m, p.n, static_cast<const T*>(p.bias), static_cast<T*>(p.c), p.ldc);
}

template <typename T>
cudaError_t dispatch(const Params& p, int split_k, bool pdl, bool tc, Ctas ctas,
                     cudaStream_t stream) {
  const bool z = p.zeros != nullptr;
  // With split-K the bias belongs to the reduction; the partial kernels never see it.
  const bool b = p.bias != nullptr && split_k == 1;
  cudaError_t err;
  if (z) {
    err = b ? launch_gemv<T, true, true>(p, split_k, pdl, tc, ctas, stream)
            : launch_gemv<T, true, false>(p, split_k, pdl, tc, ctas, stream);
  } else {
    err = b ? launch_gemv<T, false, true>(p, split_k, pdl, tc, ctas, stream)
            : launch_gemv<T, false, false>(p, split_k, pdl, tc, ctas, stream);
  }
  if (err != cudaSuccess || split_k == 1) return err;
  return p.bias != nullptr ? launch_reduce<T, true>(p, split_k, pdl, stream)
                           : launch_reduce<T, false>(p, split_k, pdl, stream);
}

}  // namespace gemv
}  // namespace w4a16

// Config ids of the GEMV family (src/dispatch.rs chooses; kernels only run what they are told):
//   0: CUDA-core kernel above (MT = min(M, 8) token rows per CTA); split-K through the workspace.
//   1: tensor-core kernel (gemv_tc.cuh); split-K through the workspace.
//   2: tensor-core kernel; split-K as one thread-block cluster (split <= 8), reduced through
//      distributed shared memory: no workspace, one launch.
//   3: as 1, but for M > 8 the 16-token kernel runs at 4 CTAs per SM (a 4-slot weight ring per
//      warp instead of 8: 16 warps per SM, 48 KB in flight instead of 12 warps and 84 KB).
//   4: config 0's grid and streams with the multiply on mma.sync (kTc above).
//   5: config 4 with kNarrowWarps warps per CTA whatever the grid.
//   6: config 5 held to kNarrowCtasPerSm CTAs per SM.
//   7: config 4 with the shared weight ring (kSmemW), at most 2 CTAs per SM.
enum : int32_t {
  kCfgCudaCore = 0,
  kCfgTcWorkspace = 1,
  kCfgTcCluster = 2,
  kCfgTcWorkspaceOcc4 = 3,
  kCfgCudaCoreMma = 4,
  kCfgCudaCoreMmaNarrow = 5,
  kCfgCudaCoreMmaNarrowCapped = 6,
  kCfgCudaCoreMmaSmemW = 7
};

extern "C" size_t w4a16k_gemv_workspace_bytes(int64_t m, int64_t n, int32_t split_k) {
  if (split_k <= 1 || m <= 0 || n <= 0) return 0;
  return static_cast<size_t>(split_k) * static_cast<size_t>(m) * static_cast<size_t>(n) *
         sizeof(float);
}

namespace {

cudaError_t run_tc(const w4a16k_gemm_args* args, int split_k, bool pdl, cudaStream_t stream) {
  using namespace w4a16;
  namespace tc = w4a16::gemv_tc;
  const bool cluster = args->config == kCfgTcCluster && split_k > 1;
  const bool occ4 = args->config == kCfgTcWorkspaceOcc4;
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
    case W4A16K_FP16: err = tc::launch<half>(p, split_k, pdl, occ4, stream); break;
    case W4A16K_BF16: err = tc::launch<__nv_bfloat16>(p, split_k, pdl, occ4, stream); break;
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
      return args->bias != nullptr ? gemv::launch_reduce<half, true>(rp, split_k, pdl, stream)
                                   : gemv::launch_reduce<half, false>(rp, split_k, pdl, stream);
    default:
      return args->bias != nullptr
                 ? gemv::launch_reduce<__nv_bfloat16, true>(rp, split_k, pdl, stream)
                 : gemv::launch_reduce<__nv_bfloat16, false>(rp, split_k, pdl, stream);
  }
}

}  // namespace

extern "C" cudaError_t w4a16k_gemv(const w4a16k_gemm_args* args, cudaStream_t stream) {
  using namespace w4a16::gemv;
  if (args == nullptr) return cudaErrorInvalidValue;
  if (args->m <= 0) return cudaSuccess;
  const int split_k = args->split_k < 1 ? 1 : args->split_k;
  const bool pdl = (args->flags & W4A16K_FLAG_PDL) != 0;
  if (split_k > 65535) return cudaErrorInvalidValue;
  if (args->config == kCfgTcWorkspace || args->config == kCfgTcCluster ||
      args->config == kCfgTcWorkspaceOcc4) {
    return run_tc(args, split_k, pdl, stream);
  }
  Ctas ctas = Ctas::kByGrid;
  switch (args->config) {
    case kCfgCudaCore:
    case kCfgCudaCoreMma: break;
    case kCfgCudaCoreMmaNarrow: ctas = Ctas::kNarrow; break;
    case kCfgCudaCoreMmaNarrowCapped: ctas = Ctas::kNarrowCapped; break;
    case kCfgCudaCoreMmaSmemW: ctas = Ctas::kByGridSmemW; break;
    default: return cudaErrorInvalidValue;
  }
  const bool mma = args->config != kCfgCudaCore;
  // Layout v2 tiles are 16 x 64 and a CTA covers 32 rows.
  if (args->n % kRowsPerCta != 0 || args->k % kTileK != 0) return cudaErrorInvalidValue;
  const int64_t k_tiles = args->k / kTileK;
  // Splits own contiguous ranges of ceil(tiles / split_k) 64-k tiles; trailing splits may be empty
  // and then write zero partials, so any split_k <= 65535 is correct.
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
  // Even, so that every split starts at a 128-k step boundary (group 128 pieces align with steps).
  p.tiles_per_split = static_cast<int32_t>(((k_tiles + split_k - 1) / split_k + 1) & ~int64_t{1});
  p.n_block_base = 0;
  switch (args->dtype) {
    case W4A16K_FP16: return dispatch<half>(p, split_k, pdl, mma, ctas, stream);
    case W4A16K_BF16: return dispatch<__nv_bfloat16>(p, split_k, pdl, mma, ctas, stream);
    default: return cudaErrorInvalidValue;
  }
}
