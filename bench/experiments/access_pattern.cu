// access_pattern.cu — experiment (not part of the library): how fast can an H100 stream an int4
// weight matrix with the global-load pattern of each GEMV design, with no arithmetic in the way?
// Each kernel reads every byte of W [N, K/2] exactly once (16-byte loads, loads of three steps in
// flight per thread, results folded into one word per thread so nothing is optimised away) with
// the CTA shape and occupancy of the real kernel:
//   row512   : gemv cfg0 (CUDA core): a warp reads 512 contiguous bytes of ONE row per load,
//              4 rows per warp, 4 warps per CTA;
//   tc8x64   : gemv_tc (configs 1/2, mma.sync): lane (g, t) reads 16 B of rows g and g+8 at byte
//              16t of a 64-byte step: one warp load = 8 rows x 64 B; 32 rows per warp, 128 per CTA;
//   tile512  : the same CTA/warp work as tc8x64 over a storage where each 16-row block is one
//              contiguous stream (the "r4k" reordered layout of sm90_reorder.cu): one warp load
//              = 512 contiguous bytes.
// Reported: time per pass (median of 20 batches of 10 passes over rotating copies >= 3x L2) and
// GB/s of W read, next to a cudaMemcpy DtoD (read+write) of the same bytes.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <cuda_runtime.h>

#include "check.cuh"


__device__ __forceinline__ uint4 ldg_stream(const void* p) {
  uint4 v;
  asm volatile("ld.global.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}
__device__ __forceinline__ uint32_t fold(uint4 v) { return v.x ^ v.y ^ v.z ^ v.w; }

constexpr int kDepth = 3;  // steps of loads in flight

// row512: CTA = 4 warps x 4 rows; lane j reads 16 B at 16j + 512 s of each of its warp's rows.
__global__ void __launch_bounds__(128, 4) row512(const uint8_t* w, int64_t row_bytes, uint32_t* out) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t row0 = (int64_t(blockIdx.x) * 4 + warp) * 4;
  // Split along K (grid.y), as the real kernels do when N alone cannot fill the GPU.
  const int all = int(row_bytes / 512), per = (all + gridDim.y - 1) / gridDim.y;
  const int base = blockIdx.y * per, steps = max(0, min(all, base + per) - base);
  w += 512 * int64_t(base);
  uint32_t acc = 0;
  uint4 buf[kDepth][4];
#pragma unroll
  for (int d = 0; d < kDepth; ++d)
#pragma unroll
    for (int r = 0; r < 4; ++r)
      buf[d][r] = d < steps ? ldg_stream(w + (row0 + r) * row_bytes + 512 * d + 16 * lane) : uint4{};
#pragma unroll 1
  for (int s = 0; s < steps; s += kDepth) {
#pragma unroll
    for (int d = 0; d < kDepth; ++d) {
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        acc ^= fold(buf[d][r]);
        const int nx = s + d + kDepth;
        buf[d][r] = nx < steps ? ldg_stream(w + (row0 + r) * row_bytes + 512 * int64_t(nx) + 16 * lane) : uint4{};
      }
    }
  }
  out[(blockIdx.y * gridDim.x + blockIdx.x) * 128 + threadIdx.x] = acc;
}

// tc8x64 / tile512: CTA = 4 warps x 32 rows (two 16-row tiles per warp); per step a thread loads
// 4 x 16 B (tile 0/1, rows g / g+8).
template <bool kContiguous>
__global__ void __launch_bounds__(128, 3) tc_pattern(const uint8_t* w, int64_t row_bytes, uint32_t* out) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t row0 = (int64_t(blockIdx.x) * 4 + warp) * 32;
  const int all = int(row_bytes / 64), per = (all + gridDim.y - 1) / gridDim.y;
  const int base = blockIdx.y * per, steps = max(0, min(all, base + per) - base);
  // Byte offset of the split's first step: 64 B per row (v1) or 1 KiB per 16-row block (tiled).
  w += (kContiguous ? 1024 : 64) * int64_t(base);
  auto addr = [&](int piece, int s) -> const uint8_t* {
    const int tile = piece >> 1, half = piece & 1;
    if (kContiguous) {
      // 16-row block (row0 + 16 tile) is one stream of 16 * row_bytes bytes; a step of the warp is
      // 1 KiB of it (16 rows x 64 B), read as two 512-byte warp loads (half).
      return w + (row0 + 16 * tile) * row_bytes + int64_t(s) * 1024 + 512 * half + 16 * lane;
    }
    return w + (row0 + 16 * tile + 8 * half + g) * row_bytes + int64_t(s) * 64 + 16 * t;
  };
  uint32_t acc = 0;
  uint4 buf[kDepth][4];
#pragma unroll
  for (int d = 0; d < kDepth; ++d)
#pragma unroll
    for (int q = 0; q < 4; ++q) buf[d][q] = d < steps ? ldg_stream(addr(q, d)) : uint4{};
#pragma unroll 1
  for (int s = 0; s < steps; s += kDepth) {
#pragma unroll
    for (int d = 0; d < kDepth; ++d) {
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        acc ^= fold(buf[d][q]);
        const int nx = s + d + kDepth;
        buf[d][q] = nx < steps ? ldg_stream(addr(q, nx)) : uint4{};
      }
    }
  }
  out[(blockIdx.y * gridDim.x + blockIdx.x) * 128 + threadIdx.x] = acc;
}

int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("# int4 weight-stream access patterns on %s (%d SMs), no arithmetic\n\n", prop.name,
              prop.multiProcessorCount);
  std::printf("| N×K | pattern | µs per pass | GB/s (W read) | vs DtoD copy |\n|---|---|---:|---:|---:|\n");
  const int shapes[][2] = {{28672, 8192}, {8192, 28672}, {8192, 8192}, {28672, 4096}, {4096, 14336}};
  uint32_t* out;
  CK(cudaMalloc(&out, 1 << 26));
  for (auto& sh : shapes) {
    const int64_t n = sh[0], k = sh[1], row_bytes = k / 2, bytes = n * row_bytes;
    const int copies = int(std::max<int64_t>(2, (3 * (50ll << 20) + bytes - 1) / bytes));
    std::vector<uint8_t*> w(copies);
    for (auto& p : w) {
      CK(cudaMalloc(&p, bytes));
      CK(cudaMemset(p, 0x5A, bytes));
    }
    uint8_t* dst;
    CK(cudaMalloc(&dst, bytes));
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    auto time = [&](auto launch) {
      for (int i = 0; i < 5; ++i) launch(w[i % copies]);
      std::vector<float> t;
      for (int b = 0; b < 20; ++b) {
        CK(cudaEventRecord(e0));
        for (int i = 0; i < 10; ++i) launch(w[(b * 10 + i) % copies]);
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        float ms;
        CK(cudaEventElapsedTime(&ms, e0, e1));
        t.push_back(ms * 100.f);  // µs per pass
      }
      CK(cudaGetLastError());
      std::sort(t.begin(), t.end());
      return t[t.size() / 2];
    };
    // Copy reads and writes `bytes`: its rate in read+write GB/s, as the bench's ceiling.
    const float copy_us = time([&](uint8_t* p) { CK(cudaMemcpyAsync(dst, p, bytes, cudaMemcpyDeviceToDevice)); });
    const double copy_gbs = 2.0 * bytes / copy_us / 1e3;
    auto row = [&](const char* name, float us) {
      const double gbs = double(bytes) / us / 1e3;
      std::printf("| %lldx%lld | %s | %.1f | %.0f | %.0f%% |\n", (long long)n, (long long)k, name, us, gbs,
                  100.0 * gbs / copy_gbs);
    };
    std::printf("| %lldx%lld | DtoD copy (read+write) | %.1f | %.0f | 100%% |\n", (long long)n, (long long)k,
                copy_us, copy_gbs);
    // K splits so that each kernel has >= 8 CTAs per SM (as the tuned GEMVs do).
    const int sms = prop.multiProcessorCount;
    auto split_for = [&](int64_t ctas) { return unsigned(std::max<int64_t>(1, (8 * sms + ctas - 1) / ctas)); };
    for (int pass = 0; pass < 2; ++pass) {
      const bool split = pass == 1;
      const dim3 g_row(unsigned(n / 16), split ? split_for(n / 16) : 1u);
      const dim3 g_tc(unsigned(n / 128), split ? split_for(n / 128) : 1u);
      char name[96];
      std::snprintf(name, sizeof name, "row512 (gemv cfg0), split %u", g_row.y);
      row(name, time([&](uint8_t* p) { row512<<<g_row, 128>>>(p, row_bytes, out); }));
      std::snprintf(name, sizeof name, "tc8x64 (gemv_tc, layout v1), split %u", g_tc.y);
      row(name, time([&](uint8_t* p) { tc_pattern<false><<<g_tc, 128>>>(p, row_bytes, out); }));
      std::snprintf(name, sizeof name, "tile512 (16-row blocks contiguous), split %u", g_tc.y);
      row(name, time([&](uint8_t* p) { tc_pattern<true><<<g_tc, 128>>>(p, row_bytes, out); }));
    }
    for (auto& p : w) CK(cudaFree(p));
    CK(cudaFree(dst));
    CK(cudaEventDestroy(e0));
    CK(cudaEventDestroy(e1));
  }
  return 0;
}
