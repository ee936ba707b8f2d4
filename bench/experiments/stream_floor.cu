// stream_floor.cu — experiment (not part of the library): how fast can ANY kernel read a
// decode-sized weight buffer when calls run back to back in a CUDA graph (the bench's method)?
// Issue #4 measures the GEMV against bytes / copy bandwidth. For small weights (4096², 8 MB) a
// call is mostly launch, ramp-up and tail, so that floor may not be reachable by any kernel. This
// program measures the best pure read stream per size over a family of streaming kernels: each
// thread issues U independent 16-byte loads (L1 no-allocate) per iteration over a grid-stride
// loop, B CTAs of T threads per SM, launched with or without PDL, and with the PDL wait either
// before the first load ("wait-first") or after the first batch of loads is issued ("loads-first",
// what the GEMV does: its weights are never written by the previous kernel). Buffers rotate over
// >= 3x L2 bytes, 20 calls per graph, median of 15 replays. The best variant per size is the
// "stream floor" the GEMV can be compared with.
// A second table adds, to the best stream shape, what a GEMV must do beyond streaming: "act" reads
// after the wait a 16-KB vector the previous call wrote at its end (the activations: one more
// dependent L2 round trip per call), "act+tail" also ends each CTA with a block-wide reduction
// through shared memory and one store per warp (the GEMV's epilogue). A third table adds math:
// per loaded 32-bit word, C units of (shift, lop3 to an fp32, FFMA into one of 4 accumulators),
// 3C instructions per word (the M = 1 GEMV's dequantize-and-multiply is ~20 per word): how much
// arithmetic per byte a kernel can afford before it falls off the stream.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "common/int4.cuh"
#include "graph_timing.cuh"

__device__ __forceinline__ uint32_t lop3_and_or(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t d;  // (a & b) ^ c, one LOP3 (the GEMV's nibble -> fp32 step)
  asm volatile("lop3.b32 %0, %1, %2, %3, 0x6A;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

// The weight loads are the GEMV's own (w4a16::ldg_stream_128_ordered: 16 B, L1 no-allocate,
// kept ahead of the PDL wait). kWaitFirst: griddepcontrol.wait before any load; else after the
// first batch is issued.
template <int U, bool kWaitFirst>
__global__ void stream_kernel(const uint4* __restrict__ w, size_t n16, unsigned* __restrict__ sink) {
  if (kWaitFirst) asm volatile("griddepcontrol.wait;" ::: "memory");
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint32_t acc = 0;
  bool waited = kWaitFirst;
  for (; i + (U - 1) * stride < n16; i += U * stride) {
    uint4 v[U];
#pragma unroll
    for (int u = 0; u < U; ++u) v[u] = w4a16::ldg_stream_128_ordered(w + i + u * stride);
    if (!waited) {
      asm volatile("griddepcontrol.wait;" ::: "memory");
      waited = true;
    }
#pragma unroll
    for (int u = 0; u < U; ++u) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
  }
  for (; i < n16; i += stride) {
    const uint4 v = w4a16::ldg_stream_128_ordered(w + i);
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (!waited) asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;");
  if (acc == 0x9e3779b9u) sink[threadIdx.x] = acc;  // keeps the loads; practically never taken
}

// kMode 1: after the wait, every thread reads one 16-B word of `act` (written by the previous
// call's CTA 0 at its end); kMode 2: also a block reduction through shared memory at the end.
template <int U, int kMode>
__global__ void gemv_like_kernel(const uint4* __restrict__ w, size_t n16, unsigned* __restrict__ sink,
                                 uint4* act) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint32_t acc = 0;
  uint4 v[U];
  const bool first = i + (U - 1) * stride < n16;
  if (first) {
#pragma unroll
    for (int u = 0; u < U; ++u) v[u] = w4a16::ldg_stream_128_ordered(w + i + u * stride);
  }
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;");
  const uint4 x = act[threadIdx.x & 1023];  // 16 KB, written by the call ahead
  if (first) {
#pragma unroll
    for (int u = 0; u < U; ++u) acc ^= (v[u].x ^ v[u].y ^ v[u].z ^ v[u].w) * (x.x | 1u);
    i += U * stride;
  }
  for (; i + (U - 1) * stride < n16; i += U * stride) {
#pragma unroll
    for (int u = 0; u < U; ++u) v[u] = w4a16::ldg_stream_128_ordered(w + i + u * stride);
#pragma unroll
    for (int u = 0; u < U; ++u) acc ^= (v[u].x ^ v[u].y ^ v[u].z ^ v[u].w) * (x.y | 1u);
  }
  for (; i < n16; i += stride) {
    const uint4 t = w4a16::ldg_stream_128_ordered(w + i);
    acc ^= t.x ^ t.y ^ t.z ^ t.w;
  }
  if (kMode == 2) {
    __shared__ uint32_t red[32];
    for (int o = 16; o > 0; o >>= 1) acc ^= __shfl_xor_sync(0xffffffffu, acc, o);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = acc;
    __syncthreads();
    if (threadIdx.x < 32) {
      acc = threadIdx.x < (blockDim.x >> 5) ? red[threadIdx.x] : 0u;
      for (int o = 16; o > 0; o >>= 1) acc ^= __shfl_xor_sync(0xffffffffu, acc, o);
      if (threadIdx.x == 0) sink[1024 + (blockIdx.x & 1023)] = acc;
    }
  } else if (acc == 0x9e3779b9u) {
    sink[threadIdx.x] = acc;
  }
  if (blockIdx.x == 0) {  // this call's "output" = the next call's activations
    for (int t = threadIdx.x; t < 1024; t += blockDim.x) act[t] = make_uint4(acc, t, 1u, 2u);
  }
}

// GEMV-like (mode 1: activation read after the wait) plus C units of math per weight word.
template <int U, int C>
__global__ void compute_stream_kernel(const uint4* __restrict__ w, size_t n16,
                                      unsigned* __restrict__ sink, uint4* act) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  float a[4] = {0.f, 0.f, 0.f, 0.f};
  uint4 v[U];
  const bool first = i + (U - 1) * stride < n16;
  if (first) {
#pragma unroll
    for (int u = 0; u < U; ++u) v[u] = w4a16::ldg_stream_128_ordered(w + i + u * stride);
  }
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;");
  const uint4 xr = act[threadIdx.x & 1023];
  const float x[4] = {__uint_as_float(xr.x & 0x3FFFFFFFu), __uint_as_float(xr.y & 0x3FFFFFFFu),
                      __uint_as_float(xr.z & 0x3FFFFFFFu), __uint_as_float(xr.w & 0x3FFFFFFFu)};
  auto eat = [&](uint32_t word) {
#pragma unroll
    for (int c = 0; c < C; ++c) {
      const float f = __uint_as_float(lop3_and_or(word >> (c & 7), 0x00078000u, 0x3F840000u));
      a[c & 3] = fmaf(f, x[c & 3], a[c & 3]);
    }
  };
  bool have = first;
  for (;;) {
    if (!have) {
      if (!(i + (U - 1) * stride < n16)) break;
#pragma unroll
      for (int u = 0; u < U; ++u) v[u] = w4a16::ldg_stream_128_ordered(w + i + u * stride);
    }
    have = false;
#pragma unroll
    for (int u = 0; u < U; ++u) {
      eat(v[u].x); eat(v[u].y); eat(v[u].z); eat(v[u].w);
    }
    i += U * stride;
  }
  for (; i < n16; i += stride) {
    const uint4 t = w4a16::ldg_stream_128_ordered(w + i);
    eat(t.x); eat(t.y); eat(t.z); eat(t.w);
  }
  const float r = (a[0] + a[1]) + (a[2] + a[3]);
  if (r == 1.2345f) sink[threadIdx.x] = 1u;  // keeps the math; practically never taken
  if (blockIdx.x == 0) {
    for (int t = threadIdx.x; t < 1024; t += blockDim.x) act[t] = make_uint4(0x3F800000u, 0x3F000000u, t, 1u);
  }
}

struct Variant {
  const char* name;
  void (*k)(const uint4*, size_t, unsigned*);
  int u;
  bool wait_first;
};

int main() {
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaDeviceProp p{};
  CK(cudaGetDeviceProperties(&p, 0));
  // Weight (+ g128 scale) bytes of the ANCHORS shapes, int4: N*K/2 + N*K/128*2.
  struct Size { const char* shape; size_t bytes; };
  auto wb = [](size_t n, size_t k) { return n * k / 2 + n * (k / 128) * 2; };
  const Size sizes[] = {{"4096x4096", wb(4096, 4096)},     {"6144x4096", wb(6144, 4096)},
                        {"4096x14336", wb(4096, 14336)},   {"8192x8192", wb(8192, 8192)},
                        {"28672x4096", wb(28672, 4096)},   {"28672x8192", wb(28672, 8192)}};
  const Variant variants[] = {
      {"u4-waitfirst", stream_kernel<4, true>, 4, true},   {"u4-loadsfirst", stream_kernel<4, false>, 4, false},
      {"u8-waitfirst", stream_kernel<8, true>, 8, true},   {"u8-loadsfirst", stream_kernel<8, false>, 8, false},
      {"u16-loadsfirst", stream_kernel<16, false>, 16, false}};
  const int blocks_per_sm[] = {1, 2, 4};
  const int threads[] = {256, 512, 1024};
  const int kCalls = 20, kReplays = 15;
  unsigned* sink;
  CK(cudaMalloc(&sink, 8192));
  uint4* act;
  CK(cudaMalloc(&act, 1024 * 16));
  CK(cudaMemset(act, 0, 1024 * 16));
  std::string likes_out, math_out;
  auto fmt2 = [](double x) { char b[32]; std::snprintf(b, sizeof b, "%.2f", x); return std::string(b); };
  auto fmt0 = [](double x) { char b[32]; std::snprintf(b, sizeof b, "%.0f", x); return std::string(b); };
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  // Copy bandwidth the way the bench measures it (DtoD of a large buffer, read + write bytes).
  double copy_gbs = 0;
  {
    const size_t bytes = size_t(1) << 30;
    void *a, *b;
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&b, bytes));
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    std::vector<float> t;
    for (int r = 0; r < 13; ++r) {
      CK(cudaEventRecord(e0, s));
      CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s));
      CK(cudaEventRecord(e1, s));
      CK(cudaEventSynchronize(e1));
      float ms;
      CK(cudaEventElapsedTime(&ms, e0, e1));
      if (r >= 3) t.push_back(ms);
    }
    std::sort(t.begin(), t.end());
    copy_gbs = 2.0 * bytes / (t[t.size() / 2] * 1e-3) / 1e9;
    CK(cudaFree(a));
    CK(cudaFree(b));
  }
  std::printf("gpu: %s, %d SMs, copy %.0f GB/s\n", p.name, sms, copy_gbs);
  std::printf("| shape | MB | floor us | variant | CTAs/SM | threads | pdl | us per call | %% of floor |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Size& sz : sizes) {
    const size_t bytes = sz.bytes / 16 * 16;
    const double floor_us = bytes / (copy_gbs * 1e3);
    const int copies = int(std::max<size_t>(3, (3 * size_t(p.l2CacheSize) + bytes - 1) / bytes + 1));
    std::vector<uint4*> w(copies);
    for (auto& b : w) {
      CK(cudaMalloc(&b, bytes));
      CK(cudaMemset(b, 0x11, bytes));
    }
    double best = 1e30;
    char best_line[256] = "";
    for (const Variant& v : variants) {
      for (int bps : blocks_per_sm) {
        for (int t : threads) {
          if (bps * t > 2048) continue;
          int resident = 0;  // skip shapes that cannot keep bps CTAs of t threads on an SM
          if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, v.k, t, 0) != cudaSuccess ||
              resident < bps) {
            cudaGetLastError();
            continue;
          }
          for (int pdl = 0; pdl < 2; ++pdl) {
            if (!pdl && !v.wait_first) continue;  // without PDL the wait position is moot
            const double us = time_graph(s, kCalls, kReplays, [&](int i) {
              return launch_pdl(v.k, sms * bps, t, pdl != 0, s, w[i % copies], bytes / 16, sink);
            });
            char line[256];
            std::snprintf(line, sizeof line, "| %s | %.1f | %.2f | %s | %d | %d | %d | %.2f | %.0f%% |",
                          sz.shape, bytes / 1e6, floor_us, v.name, bps, t, pdl, us, 100 * floor_us / us);
            std::fprintf(stderr, "%s\n", line);
            if (us < best) {
              best = us;
              std::snprintf(best_line, sizeof best_line, "%s", line);
            }
          }
        }
      }
    }
    std::printf("%s\n", best_line);
    // The GEMV-like additions on shapes near the best stream's (u4/u8, 1-2 CTAs, 512/1024 thr).
    using GemvLike = void (*)(const uint4*, size_t, unsigned*, uint4*);
    struct Like { const char* name; GemvLike k; int mode; };
    const Like likes[] = {{"u4-act", gemv_like_kernel<4, 1>, 1}, {"u4-act+tail", gemv_like_kernel<4, 2>, 2},
                          {"u8-act", gemv_like_kernel<8, 1>, 1}, {"u8-act+tail", gemv_like_kernel<8, 2>, 2}};
    for (const Like& l : likes) {
      double lbest = 1e30;
      int lb = 0, lt = 0;
      for (int bps : {1, 2}) {
        for (int t : {512, 1024}) {
          int resident = 0;
          if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, l.k, t, 0) != cudaSuccess ||
              resident < bps) {
            cudaGetLastError();
            continue;
          }
          const double us = time_graph(s, kCalls, kReplays, [&](int i) {
            return launch_pdl(l.k, sms * bps, t, true, s, w[i % copies], bytes / 16, sink, act);
          });
          if (us < lbest) { lbest = us; lb = bps; lt = t; }
        }
      }
      likes_out += std::string("| ") + sz.shape + " | " + l.name + " | " + std::to_string(lb) + " | " +
                   std::to_string(lt) + " | " + fmt2(lbest) + " | " + fmt0(100 * floor_us / lbest) +
                   "% | " + fmt2(lbest - best) + " |\n";
    }
    // Math per word: C units = 3C instructions per 32-bit word of weights.
    struct Math { int c; GemvLike k; };
    const Math maths[] = {{0, compute_stream_kernel<4, 0>}, {2, compute_stream_kernel<4, 2>},
                          {4, compute_stream_kernel<4, 4>}, {6, compute_stream_kernel<4, 6>},
                          {8, compute_stream_kernel<4, 8>}, {12, compute_stream_kernel<4, 12>}};
    math_out += std::string("| ") + sz.shape + " | " + fmt2(floor_us);
    for (const Math& mth : maths) {
      double mbest = 1e30;
      for (int bps : {1, 2}) {
        for (int t : {512, 1024}) {
          int resident = 0;
          if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, mth.k, t, 0) != cudaSuccess ||
              resident < bps) {
            cudaGetLastError();
            continue;
          }
          mbest = std::min(mbest, time_graph(s, kCalls, kReplays, [&](int i) {
            return launch_pdl(mth.k, sms * bps, t, true, s, w[i % copies], bytes / 16, sink, act);
          }));
        }
      }
      math_out += " | " + fmt2(mbest) + " (" + fmt0(100 * floor_us / mbest) + "%)";
    }
    math_out += " |\n";
    for (auto b : w) CK(cudaFree(b));
  }
  std::printf("\n| shape | GEMV-like variant | CTAs/SM | threads | us per call | %% of floor | vs best stream |\n");
  std::printf("|---|---|---|---|---|---|---|\n%s", likes_out.c_str());
  std::printf("\n| shape | floor us | 0 instr/word | 6 | 12 | 18 | 24 | 36 |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n%s", math_out.c_str());
  return 0;
}
