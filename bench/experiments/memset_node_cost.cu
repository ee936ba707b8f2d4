// memset_node_cost.cu — experiment (not part of the library): what does the per-call reset of the
// stream-K barrier flags cost inside a CUDA graph of back-to-back PDL launches?
// The SM90 stream-K rows zero their flags before every launch (CUTLASS's initialize_workspace: a
// memset node in a graph). A memset node cannot take part in programmatic dependent launch, so the
// next kernel's launch and prologue no longer overlap the previous kernel's tail. Measured here with
// a stand-in "GEMM": a persistent kernel of one CTA per SM that streams a weight-sized buffer
// (rotated over copies >= 3x L2, as the bench does) and uses PDL like the library's kernels
// (griddepcontrol.wait before reading, launch_dependents after its loads are issued).
// Variants (20 calls per graph, median of 30 replays):
//   pdl        : work, work, ...                 (the floor: no reset at all)
//   memset     : memset(flags), work, ...        (what the stream-K rows do today)
//   zero-pdl   : zero-kernel(flags), work, ...   (a 1-CTA kernel that waits on the previous grid,
//                                                 zeroes the flags; both launched with PDL)
//   nopdl      : work, work, ... without the PDL launch attribute
//   memset-nopdl / zero-nopdl: the two resets before each work launch, nothing launched with PDL
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <cuda_runtime.h>

#include "graph_timing.cuh"

__global__ void __launch_bounds__(512) stream_work(const uint4* __restrict__ w, size_t n16,
                                                   unsigned* __restrict__ sink) {
  asm volatile("griddepcontrol.wait;" ::: "memory");
  uint32_t acc = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + 3 * stride < n16; i += 4 * stride) {
    uint4 a = __ldg(w + i), b = __ldg(w + i + stride), c = __ldg(w + i + 2 * stride),
          d = __ldg(w + i + 3 * stride);
    acc ^= a.x ^ a.y ^ a.z ^ a.w ^ b.x ^ b.y ^ b.z ^ b.w ^ c.x ^ c.y ^ c.z ^ c.w ^ d.x ^ d.y ^ d.z ^ d.w;
  }
  for (; i < n16; i += stride) {
    uint4 a = __ldg(w + i);
    acc ^= a.x ^ a.y ^ a.z ^ a.w;
  }
  asm volatile("griddepcontrol.launch_dependents;");
  if (acc == 0x9e3779b9u) sink[threadIdx.x] = acc;  // keeps the loads; practically never taken
}

__global__ void zero_flags(unsigned* flags, int n) {
  asm volatile("griddepcontrol.wait;" ::: "memory");
  for (int i = threadIdx.x; i < n; i += blockDim.x) flags[i] = 0;
  asm volatile("griddepcontrol.launch_dependents;");
}

int main() {
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaDeviceProp p{};
  CK(cudaGetDeviceProperties(&p, 0));
  const size_t sizes_mb[] = {8, 34, 117};  // ~4096^2, 8192^2, 28672x8192 int4 weights
  const int kCalls = 20, kReplays = 30;
  unsigned* sink;
  unsigned* flags;
  CK(cudaMalloc(&sink, 4096));
  CK(cudaMalloc(&flags, 64 << 10));
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  std::printf("gpu: %s, %d SMs\n", p.name, sms);
  std::printf("| weights MB | variant | us per call | vs pdl |\n|---|---|---|---|\n");
  for (size_t mb : sizes_mb) {
    const size_t bytes = mb << 20;
    const int copies = int(std::max<size_t>(3, (3 * size_t(p.l2CacheSize) + bytes - 1) / bytes + 1));
    std::vector<uint4*> w(copies);
    for (auto& b : w) {
      CK(cudaMalloc(&b, bytes));
      CK(cudaMemset(b, 0x11, bytes));
    }
    double floor_us = 0;
    for (int variant = 0; variant < 6; ++variant) {
      const char* name[] = {"pdl", "memset", "zero-pdl", "nopdl", "memset-nopdl", "zero-nopdl"};
      const bool pdl = variant < 3;
      const double us = time_graph(s, kCalls, kReplays, [&](int i) {
        if (variant == 1 || variant == 4) CK(cudaMemsetAsync(flags, 0, 2048, s));
        if (variant == 2 || variant == 5) CK(launch_pdl(zero_flags, 1, 256, pdl, s, flags, 512));
        return launch_pdl(stream_work, sms, 512, pdl, s, w[i % copies], bytes / 16, sink);
      });
      if (variant == 0) floor_us = us;
      std::printf("| %zu | %s | %.2f | %+.2f us |\n", mb, name[variant], us, us - floor_us);
    }
    for (auto b : w) CK(cudaFree(b));
  }
  return 0;
}
