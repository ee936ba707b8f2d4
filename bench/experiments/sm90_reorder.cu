// sm90_reorder.cu — experiment (not part of the library): does CUTLASS's offline reordering of the
// int4 operand ("shuffle": each thread's wgmma-fragment values contiguous, nibbles in the order the
// fast converter wants) speed up our SM90 mixed-input GEMM, and does a GEMV-friendly variant of it
// keep the gain? Built and run by bench/experiments/run-sm90-reorder.sh.
//
// Problem as in kernels/sm90/sm90_gemm.cuh: D^T[N, M] = W[N, K] · A^T, fp16, scale-only, group 128.
// Three storages of the same int4 matrix W:
//   v1   : packed layout v1 (docs/LAYOUT.md): [N, K] K-major, what the library reads today;
//   r1   : CUTLASS example 55's reorder: 16 rows x 16 k atoms (one wgmma k-block per thread word,
//          value order [0,2,4,6,1,3,5,7]), atoms tiled N-first (tile_to_shape default);
//   r4k  : 16 rows x 64 k atoms (each thread's values of 4 k-blocks in one 16-byte vector), atoms
//          tiled K-first, so every 16-row block of W is one contiguous stream — the candidate
//          "packed layout v2" that a GEMV could also stream with 512-byte warp loads.
// The reordered storages are produced from v1 on the device by cutlass::reorder_tensor; every
// variant's output is compared with v1's (the library's tested kernel) on the same data.
// Timing: CUDA events around batches of 20 back-to-back calls rotating >= 3x L2 of weight copies,
// median of 15 batches per point. Same configuration and method for all three storages.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <cuda_runtime.h>

#include "check.cuh"

#include "cutlass/cutlass.h"
#include "cute/tensor.hpp"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/epilogue/fusion/operations.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/gemm/kernel/tile_scheduler.hpp"
#include "cutlass/util/mixed_dtype_utils.hpp"
#include "cutlass/util/packed_stride.hpp"
#include "sm90/sm90_gemm.cuh"

using namespace cute;


using T = cutlass::half_t;
using Q = cutlass::int4b_t;
using StrideW = cute::Stride<int64_t, cute::Int<1>, int64_t>;  // RowMajor [N, K] (K contiguous)
using ValueShuffle = Layout<Shape<_2, _4>, Stride<_4, _1>>;    // order [0,2,4,6,1,3,5,7]
using AtomR1 = decltype(cutlass::compute_memory_reordering_atom<T, Layout<Shape<_1, _1>>, ValueShuffle>());
using AtomR4 = decltype(cutlass::compute_memory_reordering_atom<T, Layout<Shape<_1, _4>>, ValueShuffle>());
using LayoutR1 = decltype(tile_to_shape(AtomR1{}, Shape<int, int, int>{}));
using LayoutR4K = decltype(tile_to_shape(AtomR4{}, Shape<int, int, int>{}, Step<_2, _1, _3>{}));

enum Storage { kV1 = 0, kR1 = 1, kR4K = 2 };
static const char* storage_name(int s) { return s == kV1 ? "v1" : s == kR1 ? "r1" : "r4k"; }

template <int S> struct WLayout;
template <> struct WLayout<kV1> {
  using Type = cutlass::layout::RowMajor;
  static StrideW make(int n, int k) {
    return cutlass::make_cute_packed_stride(StrideW{}, cute::make_shape(n, k, 1));
  }
};
template <> struct WLayout<kR1> {
  using Type = LayoutR1;
  static LayoutR1 make(int n, int k) { return tile_to_shape(AtomR1{}, make_shape(n, k, 1)); }
};
template <> struct WLayout<kR4K> {
  using Type = LayoutR4K;
  static LayoutR4K make(int n, int k) {
    return tile_to_shape(AtomR4{}, make_shape(n, k, 1), Step<_2, _1, _3>{});
  }
};

// The schedules of the library's SM90 family (kernels/sm90/sm90_gemm.cuh).
using w4a16::sm90::Coop;
using w4a16::sm90::CoopSK;

struct Problem {
  int n, k, m;
  const void* w;  // storage of the variant
  const T* a;
  const T* s;
  T* d;
  void* ws;
  size_t ws_bytes;
};

template <int kTileW, int kTileT, class Sched, int S>
struct Gemm {
  using TileShape = Shape<Int<kTileW>, Int<kTileT>, _64>;
  using ClusterShape = Shape<_1, _1, _1>;
  using LayoutD = cutlass::layout::ColumnMajor;
  using Fusion = cutlass::epilogue::fusion::LinCombPerRowBias<T, float, T, T, float>;
  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, float, float, void, LayoutD, 8, T, LayoutD, 8,
      typename Sched::Epilogue, Fusion>::CollectiveOp;
  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, cute::tuple<Q, T>,
      typename WLayout<S>::Type, 32, T, cutlass::layout::ColumnMajor, 8, float, TileShape,
      ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<
          static_cast<int>(sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Sched::Kernel>::CollectiveOp;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, typename Sched::Scheduler>;
  using Device = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
  using Arguments = typename Device::Arguments;

  static Arguments args(const Problem& p) {
    typename Kernel::StrideB s_a{};
    get<0>(s_a) = p.k;
    get<2>(s_a) = int64_t(p.k) * p.m;
    typename Kernel::StrideD s_d{};
    get<1>(s_d) = p.n;
    get<2>(s_d) = int64_t(p.n) * p.m;
    using StrideS = typename CollectiveMainloop::StrideScale;
    typename CollectiveMainloop::Arguments ml{};
    ml.ptr_A = static_cast<const Q*>(p.w);
    ml.dA = WLayout<S>::make(p.n, p.k);
    ml.ptr_B = p.a;
    ml.dB = s_a;
    ml.ptr_S = p.s;
    ml.dS = cutlass::make_cute_packed_stride(StrideS{}, make_shape(p.n, p.k / 128, 1));
    ml.group_size = 128;
    typename CollectiveEpilogue::Arguments ep{};
    ep.thread.alpha = 1.f;
    ep.thread.beta = 0.f;
    ep.thread.bias_ptr = nullptr;
    ep.ptr_C = nullptr;
    ep.dC = s_d;
    ep.ptr_D = p.d;
    ep.dD = s_d;
    cutlass::KernelHardwareInfo hw{};
    hw.device_id = 0;
    hw.sm_count = cutlass::KernelHardwareInfo::query_device_multiprocessor_count(0);
    Arguments a{cutlass::gemm::GemmUniversalMode::kGemm, {p.n, p.m, p.k, 1}, ml, ep, hw};
    if constexpr (Sched::kStreamK)
      a.scheduler.decomposition_mode = Kernel::TileScheduler::DecompositionMode::StreamK;
    return a;
  }
  static size_t workspace(const Problem& p) { return Device::get_workspace_size(args(p)); }
  static bool run(const Problem& p, cudaStream_t st) {
    Device op;
    Arguments a = args(p);
    if (Device::can_implement(a) != cutlass::Status::kSuccess) return false;
    if (op.initialize(a, p.ws, st) != cutlass::Status::kSuccess) return false;
    return op.run(st) == cutlass::Status::kSuccess;
  }
};

// Reorders a v1 [N, K] int4 matrix (device, in place) into storage S.
template <int S>
void reorder(void* w, int n, int k) {
  if constexpr (S != kV1) {
    auto src = make_layout(make_shape(n, k, 1), WLayout<kV1>::make(n, k));
    cutlass::reorder_tensor(static_cast<Q*>(w), src, WLayout<S>::make(n, k));
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
  }
}

static double rel_err(const std::vector<uint16_t>& got, const std::vector<uint16_t>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    T g, w;
    std::memcpy(&g, &got[i], 2);
    std::memcpy(&w, &want[i], 2);
    const double gd = float(g), wd = float(w);
    if (!std::isfinite(gd)) return INFINITY;
    num += (gd - wd) * (gd - wd);
    den += wd * wd;
  }
  return std::sqrt(num / (den > 0 ? den : 1));
}

// Runs one (tile, schedule) configuration over the three storages for one shape and M.
template <int kTileW, int kTileT, class Sched>
struct Sweep {
  template <int S>
  using G = Gemm<kTileW, kTileT, Sched, S>;

  static void point(const char* cfg, int n, int k, int m, std::mt19937& rng) {
    const size_t w_bytes = size_t(n) * k / 2;
    const size_t l2 = 50u << 20;
    const int copies = int(std::max<size_t>(2, (3 * l2 + w_bytes - 1) / w_bytes));
    std::vector<uint8_t> hw(w_bytes);
    for (auto& b : hw) b = uint8_t(rng());
    std::vector<uint16_t> hs(size_t(n) * (k / 128)), ha(size_t(m) * k);
    std::uniform_real_distribution<float> us(0.5f / 64, 1.5f / 64), ua(-1.f, 1.f);
    for (auto& x : hs) { T t(us(rng)); std::memcpy(&x, &t, 2); }
    for (auto& x : ha) { T t(ua(rng)); std::memcpy(&x, &t, 2); }
    T *a, *s, *d;
    CK(cudaMalloc(&a, ha.size() * 2));
    CK(cudaMalloc(&s, hs.size() * 2));
    CK(cudaMalloc(&d, size_t(n) * m * 2));
    CK(cudaMemcpy(a, ha.data(), ha.size() * 2, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(s, hs.data(), hs.size() * 2, cudaMemcpyHostToDevice));
    std::vector<uint16_t> want, got(size_t(n) * m);
    double base_us = 0;
    for (int st = 0; st < 3; ++st) {
      std::vector<void*> w(copies);
      for (auto& p : w) {
        CK(cudaMalloc(&p, w_bytes));
        CK(cudaMemcpy(p, hw.data(), w_bytes, cudaMemcpyHostToDevice));
      }
      Problem p{n, k, m, nullptr, a, s, d, nullptr, 0};
      auto with = [&](auto fn) {
        if (st == kV1) return fn(std::integral_constant<int, kV1>{});
        if (st == kR1) return fn(std::integral_constant<int, kR1>{});
        return fn(std::integral_constant<int, kR4K>{});
      };
      for (auto& q : w) with([&](auto S) { reorder<decltype(S)::value>(q, n, k); return true; });
      p.ws_bytes = with([&](auto S) { return G<decltype(S)::value>::workspace(p); });
      if (p.ws_bytes) CK(cudaMalloc(&p.ws, p.ws_bytes));
      auto call = [&](int i) {
        p.w = w[i % copies];
        return with([&](auto S) { return G<decltype(S)::value>::run(p, nullptr); });
      };
      CK(cudaMemset(d, 0xFF, size_t(n) * m * 2));  // NaN poison
      bool ok = call(0);
      CK(cudaDeviceSynchronize());
      double err = NAN, med = NAN;
      if (ok) {
        CK(cudaMemcpy(got.data(), d, got.size() * 2, cudaMemcpyDeviceToHost));
        if (st == kV1) want = got;
        err = rel_err(got, want);
        cudaEvent_t e0, e1;
        CK(cudaEventCreate(&e0));
        CK(cudaEventCreate(&e1));
        for (int i = 0; i < 10; ++i) call(i);
        std::vector<float> t;
        for (int b = 0; b < 15; ++b) {
          CK(cudaEventRecord(e0));
          for (int i = 0; i < 20; ++i) call(b * 20 + i);
          CK(cudaEventRecord(e1));
          CK(cudaEventSynchronize(e1));
          float ms;
          CK(cudaEventElapsedTime(&ms, e0, e1));
          t.push_back(ms * 1000.f / 20);
        }
        CK(cudaGetLastError());
        std::sort(t.begin(), t.end());
        med = t[t.size() / 2];
        CK(cudaEventDestroy(e0));
        CK(cudaEventDestroy(e1));
      }
      if (st == kV1) base_us = med;
      std::printf("| %dx%d | %d | %s | %s | %s | %.1f | %.3f | %.1e |\n", n, k, m, cfg,
                  storage_name(st), ok ? "ok" : "CANNOT RUN", med, base_us / med, err);
      std::fflush(stdout);
      for (auto& q : w) CK(cudaFree(q));
      if (p.ws) CK(cudaFree(p.ws));
    }
    CK(cudaFree(a));
    CK(cudaFree(s));
    CK(cudaFree(d));
  }
};

void sweep_sk64(std::mt19937&);
void sweep_c128(std::mt19937&);
void sweep_c256(std::mt19937&);

#ifdef W4A16_EXPERIMENT_MAIN
int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("# SM90 int4 storage experiment on %s (%d SMs)\n\n", prop.name, prop.multiProcessorCount);
  std::printf("| N×K | M | config | storage | status | µs (median) | speedup vs v1 | rel err vs v1 |\n");
  std::printf("|---|---:|---|---|---|---:|---:|---:|\n");
  std::mt19937 rng(1234);
  sweep_sk64(rng);
  sweep_c128(rng);
  sweep_c256(rng);
  return 0;
}
#endif

static const int kShapes[][2] = {{28672, 8192}, {8192, 28672}, {8192, 8192}};

#ifdef W4A16_EXPERIMENT_SK64
void sweep_sk64(std::mt19937& rng) {
  for (auto& s : kShapes) Sweep<128, 64, CoopSK>::point("streamK 128x64", s[0], s[1], 64, rng);
}
#endif
#ifdef W4A16_EXPERIMENT_C128
void sweep_c128(std::mt19937& rng) {
  for (auto& s : kShapes)
    for (int m : {128, 256}) Sweep<128, 128, Coop>::point("coop 128x128", s[0], s[1], m, rng);
}
#endif
#ifdef W4A16_EXPERIMENT_C256
void sweep_c256(std::mt19937& rng) {
  for (auto& s : kShapes)
    for (int m : {256, 1024, 4096}) Sweep<128, 256, Coop>::point("coop 128x256", s[0], s[1], m, rng);
}
#endif
