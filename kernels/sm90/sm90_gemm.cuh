// sm90_gemm.cuh — the SM90 mixed-input GEMM family (CUTLASS 4.2 collective builders: TMA loads,
// wgmma, warp-specialized, persistent), instantiated from the rows of configs.def.
//
// C[M,N] = A[M,K] · Wᵀ (+ bias) is computed transposed, D^T[N,M] = W[N,K] · A^T, so that
//   * the int4 weights are the first ("A") operand: CUTLASS's mixed-input collective converts the
//     narrow operand in registers and feeds it to wgmma as the register operand, which is the
//     64-row (M) side of wgmma: weights fill the wide side, tokens the narrow one (swap-AB);
//   * packed layout v2 (kernels/common/layout.cuh) is the storage CUTLASS's mixed-input collective
//     calls "reordered": each thread's values of a warp's wgmma A fragment contiguous (one 32-bit
//     shared load per k16 block instead of four byte loads) in the value order
//     [0,2,4,6,1,3,5,7] its fast int4 converter wants; LayoutW below spells it as a cute layout
//     (16x64 atom tiled K-first), equal element for element to compute_memory_reordering_atom
//     <T, Shape<_1,_4>, that value order> (checked when v2 was introduced); signed int4b_t, so
//     q - 8 needs no subtraction;
//   * scales/zeros [K/g, N] (N contiguous) are the collective's MN-major scale tensor;
//   * the activations A[M, lda] are a K-major (ColumnMajor) [K, M] second operand, lda as stride;
//   * C[M, ldc] row-major is a ColumnMajor [N, M] D^T with stride ldc;
//   * the bias (per output channel n) is a per-ROW bias of the transposed problem
//     (LinCombPerRowBias epilogue fusion; a NULL bias pointer reads as 0).
// Zeros use ConvertAndScaleWithZero: w = q·s + z with q the signed nibble — the additive zeros of
// docs/LAYOUT.md. group_size must be a multiple of the K tile (64) or equal K (CUTLASS rejects
// smaller groups): group 32 is routed to the mma.sync family by src/dispatch.rs.
#pragma once

#include <memory>
#include <new>
#include <type_traits>

#include <cuda_runtime.h>

#include "cutlass/cutlass.h"
#include "cute/tensor.hpp"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/epilogue/fusion/operations.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/gemm/kernel/tile_scheduler.hpp"
#include "cutlass/util/packed_stride.hpp"

#include "common/launch_util.cuh"
#include "common/ptx.cuh"
#include "launch.h"
#include "sm90/sm90_entries.h"

#if !defined(CUTLASS_ARCH_MMA_SM90_SUPPORTED)
#error "the SM90 family needs -gencode arch=compute_90a,code=sm_90a"
#endif

namespace w4a16 {
namespace sm90 {

using namespace cute;

// Schedules (the `sched` column of configs.def).
struct Coop {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedCooperative;
  using Epilogue = cutlass::epilogue::TmaWarpSpecializedCooperative;
  using Scheduler = cutlass::gemm::PersistentScheduler;
  static constexpr bool kStreamK = false;
};
struct Pingpong {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedPingpong;
  using Epilogue = cutlass::epilogue::TmaWarpSpecialized;
  using Scheduler = cutlass::gemm::PersistentScheduler;
  static constexpr bool kStreamK = false;
};
struct CoopSK {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedCooperative;
  using Epilogue = cutlass::epilogue::TmaWarpSpecializedCooperative;
  using Scheduler = cutlass::gemm::StreamKScheduler;
  static constexpr bool kStreamK = true;
};
// CoopSK with a 128-deep K tile: 8 k16 blocks per pipeline stage, so each consumer warp group
// keeps up to 7 wgmma in flight (4 with the 64-deep tile) and pays the stage's barrier wait/release once per 128 k (measured
// 1.05-1.09x over the 64-deep twin at M = 64-256 on H100, bench/NOTES.md session 5). Needs
// group_size % 128 == 0 (or group_size == K with K % 128 == 0): src/dispatch.rs checks it per row.
struct CoopSKK128 : CoopSK {
  static constexpr int kTileK = 128;
};
// Coop with a 128-deep K tile (same reasons and the same group rule as CoopSKK128).
struct CoopK128 : Coop {
  static constexpr int kTileK = 128;
};

// Element of the activation dtype.
template <int kDtype> struct DtypeOf;
template <> struct DtypeOf<W4A16K_FP16> { using type = cutlass::half_t; };
template <> struct DtypeOf<W4A16K_BF16> { using type = cutlass::bfloat16_t; };

constexpr int kTileK = 64;  // 128 bytes of 16-bit activations per row: one 128-byte swizzle atom
// K tile of a schedule: Sched::kTileK where the schedule sets one, else kTileK.
template <class Sched, class = void> struct TileKOf { static constexpr int value = kTileK; };
template <class Sched> struct TileKOf<Sched, std::void_t<decltype(Sched::kTileK)>> {
  static constexpr int value = Sched::kTileK;
};

// The entry point of every SM90 kernel: CUTLASS's GemmUniversal body (what cutlass::device_kernel
// runs) behind programmatic-dependent-launch control. Launched with PDL (W4A16K_FLAG_PDL), its
// CTAs may be placed while the kernel ahead of it in the stream finishes; they wait for that
// kernel (completed, memory visible) before anything else, then let the kernel behind them launch,
// whose CTAs take the SMs this grid frees. Launched without PDL both are no-ops. (CUTLASS's own
// hooks, CUTLASS_ENABLE_GDC_FOR_SM90, do not compile with the stream-K scheduler of the pinned
// release.) Kernel = cutlass::gemm::kernel::GemmUniversal<...>.
template <class Kernel>
__global__ void __launch_bounds__(Kernel::MaxThreadsPerBlock, Kernel::MinBlocksPerMultiprocessor)
    gemm_kernel(CUTLASS_GRID_CONSTANT typename Kernel::Params const params) {
  grid_dependency_wait();
  allow_dependent_launch();
  extern __shared__ char smem[];
  Kernel op;
  op(params, smem);
}

template <int kTileW, int kTileT, int kClusterW, int kClusterT, class Sched, int kDtype, bool kZeros>
struct Gemm {
  using T = typename DtypeOf<kDtype>::type;
  using TileShape = Shape<Int<kTileW>, Int<kTileT>, Int<TileKOf<Sched>::value>>;
  using ClusterShape = Shape<Int<kClusterW>, Int<kClusterT>, _1>;
  // Packed layout v2 as a cute layout of the int4 [N, K] operand: the 16-row x 64-k atom (rows
  // (g, h) -> offsets 128g + h, k (odd, c, e, j) -> 4odd + 32c + 2e + 8j in int4 elements), tiles
  // K-first (Step<_2,_1,_3>). A layout type instead of a stride tag tells the collective builder
  // the operand is reordered. 64-bit extents: the strides are products of them, and the batch
  // stride (N*K elements) passes 2^31 for N*K > 2^31 (e.g. 57344^2), which TMA then rejects.
  using LayoutAtomW = Layout<Shape<Shape<_8, _2>, Shape<_2, _4, _2, _4>>,
                             Stride<Stride<_128, _1>, Stride<_4, _32, _2, _8>>>;
  using LayoutW =
      decltype(tile_to_shape(LayoutAtomW{}, Shape<int64_t, int64_t, int64_t>{}, Step<_2, _1, _3>{}));
  using LayoutAct = cutlass::layout::ColumnMajor; // transposed problem's B: [K, M] = A[M][lda]
  using LayoutD = cutlass::layout::ColumnMajor;   // D^T [N, M], N contiguous = C[M][ldc]
  static constexpr int kAlignW = 32;              // int4 elements per 16 bytes
  static constexpr int kAlign = 8;                // 16-bit elements per 16 bytes

  using Fusion = cutlass::epilogue::fusion::LinCombPerRowBias<T, float, T, T, float>;
  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, float, float,
      void, LayoutD, kAlign,  // no C source (beta = 0): no smem, no loads
      T, LayoutD, kAlign, typename Sched::Epilogue, Fusion>::CollectiveOp;

  using ElementWTuple = cute::conditional_t<kZeros, cute::tuple<cutlass::int4b_t, T, T>,
                                            cute::tuple<cutlass::int4b_t, T>>;
  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, ElementWTuple, LayoutW, kAlignW, T,
      LayoutAct, kAlign, float, TileShape, ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<
          static_cast<int>(sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Sched::Kernel>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, typename Sched::Scheduler>;
  using Device = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
  using Arguments = typename Device::Arguments;

  static Arguments make_args(const w4a16k_gemm_args& a, int sm_count, int device) {
    const int n = static_cast<int>(a.n), m = static_cast<int>(a.m), k = static_cast<int>(a.k);
    const int scale_k = static_cast<int>(a.k / a.group_size);
    using StrideAct = typename Kernel::StrideB;
    using StrideD = typename Kernel::StrideD;
    using StrideS = typename CollectiveMainloop::StrideScale;
    StrideAct s_a{};
    cute::get<0>(s_a) = a.lda;                 // token stride
    cute::get<2>(s_a) = a.lda * a.m;
    StrideD s_d{};
    cute::get<1>(s_d) = a.ldc;                 // token stride of C
    cute::get<2>(s_d) = a.ldc * a.m;
    StrideS s_s = cutlass::make_cute_packed_stride(StrideS{}, cute::make_shape(n, scale_k, 1));

    typename CollectiveMainloop::Arguments mainloop{};
    mainloop.ptr_A = reinterpret_cast<const cutlass::int4b_t*>(a.packed_w);
    mainloop.dA = tile_to_shape(LayoutAtomW{}, make_shape(a.n, a.k, int64_t{1}), Step<_2, _1, _3>{});
    mainloop.ptr_B = reinterpret_cast<const T*>(a.a);
    mainloop.dB = s_a;
    mainloop.ptr_S = reinterpret_cast<const T*>(a.scales);
    mainloop.dS = s_s;
    mainloop.group_size = static_cast<int>(a.group_size);
    if constexpr (kZeros) mainloop.ptr_Z = reinterpret_cast<const T*>(a.zeros);

    typename CollectiveEpilogue::Arguments epilogue{};
    epilogue.thread.alpha = 1.0f;
    epilogue.thread.beta = 0.0f;
    epilogue.thread.bias_ptr = reinterpret_cast<const T*>(a.bias);
    epilogue.ptr_C = nullptr;
    epilogue.dC = s_d;
    epilogue.ptr_D = reinterpret_cast<T*>(a.c);
    epilogue.dD = s_d;

    cutlass::KernelHardwareInfo hw{};
    hw.device_id = device;
    hw.sm_count = sm_count;

    Arguments args{cutlass::gemm::GemmUniversalMode::kGemm, {n, m, k, 1}, mainloop, epilogue, hw};
    if constexpr (Sched::kStreamK) {
      using Decomp = typename Kernel::TileScheduler::DecompositionMode;
      if (a.split_k > 1) {
        args.scheduler.splits = a.split_k;
        args.scheduler.decomposition_mode = Decomp::SplitK;
      } else {
        args.scheduler.decomposition_mode = Decomp::StreamK;
      }
    }
    return args;
  }

  static size_t workspace_bytes(const w4a16k_gemm_args& a, int sm_count, int device) {
    return Device::get_workspace_size(make_args(a, sm_count, device));
  }

  using Params = typename Kernel::Params;

  // Kernel parameters of recent calls, per thread. Building them (to_underlying_arguments) encodes
  // the TMA descriptors of W, A, scales (zeros) and D, and the adapter then sets the kernel's
  // shared-memory attribute: 7-11 µs of host time per call on an H100 host. A server repeats the
  // same pointers and shapes every step, so a hit leaves only the workspace reset (stream-K) and
  // the launch. The key holds every argument the Params depend on (pointers included: a TMA
  // descriptor embeds its base address), so a hit is exactly the Params a miss would build.
  // Thread-local (no lock on the hot path); the TLS slot is one pointer, the entries live on the
  // heap (large static TLS can make dlopen of the library fail). A failed or invalid build leaves
  // no entry behind: the slot is written only after validation.
  struct Entry {
    w4a16k_gemm_args key;
    int device;
    Arguments args;
    Params params;
    size_t workspace_used;  // Device::get_workspace_size(args)
    size_t flag_bytes;      // stream-K: flag_bytes_bound(key), the bytes the zero kernel resets
  };
  static constexpr int kCacheEntries = 4;
  struct Cache {
    Entry entry[kCacheEntries];
    int used = 0;
    int next = 0;
  };

  static bool same_call(const w4a16k_gemm_args& x, const w4a16k_gemm_args& y) {
    return x.a == y.a && x.lda == y.lda && x.packed_w == y.packed_w && x.scales == y.scales &&
           x.zeros == y.zeros && x.bias == y.bias && x.c == y.c && x.ldc == y.ldc && x.m == y.m &&
           x.n == y.n && x.k == y.k && x.group_size == y.group_size && x.dtype == y.dtype &&
           x.config == y.config && x.split_k == y.split_k && x.workspace == y.workspace &&
           x.workspace_bytes == y.workspace_bytes;
  }

  // The cached entry for these arguments on this device, built (validated, Params encoded, smem
  // attribute set) on a miss; nullptr with *err set when the arguments cannot run or the host is
  // out of memory for the thread's cache (a few KiB, allocated on its first call).
  static Entry* entry_for(const w4a16k_gemm_args& a, int sm_count, int device, cudaError_t* err) {
    static thread_local std::unique_ptr<Cache> cache;
    if (!cache) {
      cache.reset(new (std::nothrow) Cache());
      if (!cache) {
        *err = cudaErrorMemoryAllocation;
        return nullptr;
      }
    }
    for (int i = 0; i < cache->used; ++i) {
      Entry& e = cache->entry[i];
      if (e.device == device && same_call(e.key, a)) return &e;
    }
    Arguments args = make_args(a, sm_count, device);
    const size_t workspace_used = Device::get_workspace_size(args);
    if (Device::can_implement(args) != cutlass::Status::kSuccess ||
        workspace_used > a.workspace_bytes) {
      *err = cudaErrorInvalidValue;
      return nullptr;
    }
    constexpr int smem = Kernel::SharedStorageSize;
    if (smem >= (48 << 10)) {
      const cudaError_t e = cudaFuncSetAttribute(gemm_kernel<Kernel>,
                                                 cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
      if (e != cudaSuccess) {
        cudaGetLastError();
        *err = e;
        return nullptr;
      }
    }
    Entry* e = &cache->entry[cache->next];
    cache->next = (cache->next + 1) % kCacheEntries;
    if (cache->used < kCacheEntries) ++cache->used;
    e->key = a;
    e->device = device;
    e->args = args;
    e->params = Kernel::to_underlying_arguments(args, a.workspace);
    e->workspace_used = workspace_used;
    if constexpr (Sched::kStreamK) {
      e->flag_bytes = flag_bytes_bound(a);
    } else {
      e->flag_bytes = 0;  // no flags (and no get_barrier_workspace_size) without stream-K
    }
    return e;
  }

  // Upper bound of the stream-K barrier flags' bytes. CUTLASS keeps them at the very end of the
  // workspace (after the partial-sum tiles), one 32-bit flag per consumer warp group and per split
  // output tile, rounded to the L2 alignment; every output tile (the split-K case) bounds them.
  // Zeroing more than the flags only clears partial sums, which each launch writes before it reads.
  static constexpr uint32_t kFlagBits = 32;  // CUTLASS's stream-K barrier flag: one int32
  static size_t flag_bytes_bound(const w4a16k_gemm_args& a) {
    const uint64_t tiles_w = (a.n + kTileW * kClusterW - 1) / (kTileW * kClusterW) * kClusterW;
    const uint64_t tiles_t = (a.m + kTileT * kClusterT - 1) / (kTileT * kClusterT) * kClusterT;
    return Kernel::TileSchedulerParams::get_barrier_workspace_size(
        tiles_w * tiles_t, Kernel::NumMmaWarpGroups, kFlagBits);
  }

  static cudaError_t run(const w4a16k_gemm_args& a, int sm_count, int device, cudaStream_t stream) {
    cudaError_t err = cudaSuccess;
    Entry* e = entry_for(a, sm_count, device, &err);
    if (e == nullptr) return err;
    const bool pdl = (a.flags & W4A16K_FLAG_PDL) != 0;
    // Stream-K's reduction flags must be zero at every launch: a one-warp kernel, not CUTLASS's
    // memset (initialize_workspace). In a CUDA graph a memset node cost 2.4-2.6 us per call on
    // H100 with or without PDL, the kernel 0.4-0.55 us with PDL and 0.9-1.1 us without
    // (bench/NOTES.md, session 6). The other schedulers have no workspace: a no-op for them.
    if constexpr (Sched::kStreamK) {
      const cudaError_t z =
          w4a16k_sm90_zero_flags(a.workspace, e->workspace_used, e->flag_bytes, pdl, stream);
      if (z != cudaSuccess) return z;
    } else {
      const cutlass::Status st = Kernel::initialize_workspace(e->args, a.workspace, stream, nullptr);
      if (st != cutlass::Status::kSuccess) {
        const cudaError_t last = cudaGetLastError();
        return last != cudaSuccess ? last : cudaErrorLaunchFailure;
      }
    }
    return launch_kernel(gemm_kernel<Kernel>, Kernel::get_grid_shape(e->params),
                         Kernel::get_block_shape(), Kernel::SharedStorageSize, stream, pdl,
                         dim3(kClusterW, kClusterT, 1), e->params);
  }
};

// One configuration (a configs.def row) for one dtype: both zero modes.
template <int kTileW, int kTileT, int kClusterW, int kClusterT, class Sched, int kDtype>
struct Config {
  template <bool z>
  using G = Gemm<kTileW, kTileT, kClusterW, kClusterT, Sched, kDtype, z>;
  static cudaError_t run(const w4a16k_gemm_args& a, int sm, int dev, cudaStream_t s) {
    return a.zeros != nullptr ? G<true>::run(a, sm, dev, s) : G<false>::run(a, sm, dev, s);
  }
  static size_t workspace(const w4a16k_gemm_args& a, int sm, int dev) {
    return a.zeros != nullptr ? G<true>::workspace_bytes(a, sm, dev)
                              : G<false>::workspace_bytes(a, sm, dev);
  }
};

}  // namespace sm90
}  // namespace w4a16
