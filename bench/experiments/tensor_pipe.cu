// tensor_pipe.cu — experiment (not part of the library): how many fp16 tensor-core multiplies per
// cycle can the decode GEMV's instructions sustain on one SM? The mma variant of the GEMV (config 4
// and 5) issues one mma.sync.m16n8k16 per packed weight word and 16 rows per token tile: at 16
// tokens two per word. If mma.sync runs on Hopper at a fraction of the warpgroup MMA's rate, a
// wgmma.m64nNk16 with the dequantized weights as its register A operand (the same fragment layout
// per warp) would take the tensor pipe off the 16-token kernels' path.
// Measured per variant: FLOP per SM cycle at full occupancy (W warps per CTA, one CTA per SM, U
// independent accumulator chains per warp, the operands constant so only the pipe is timed):
//   mma.sync.m16n8k16 f32 += f16 x f16;
//   wgmma.mma_async.m64nNk16 f32 += f16 (registers) x f16 (shared memory), N = 8, 16, 32, with
//   U accumulators per warpgroup issued back to back, then committed and waited for.
// The SM clock is read with clock64 against %globaltimer in the same kernel.
#include <cstdint>
#include <cstdio>
#include <cuda_runtime.h>

#define CK(x)                                                                  \
  do {                                                                         \
    cudaError_t e_ = (x);                                                      \
    if (e_ != cudaSuccess) {                                                   \
      std::fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

__device__ __forceinline__ uint64_t globaltimer() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Per CTA: cycles and ns of thread 0 (for the clock rate); out[] keeps the results alive.
template <int U>
__global__ void mma_sync_kernel(int iters, float* out, unsigned long long* clk) {
  uint32_t a[4] = {0x3c003c00u ^ threadIdx.x, 0x3c003c00u, 0x3c003c00u, 0x3c003c00u};
  uint32_t b[2] = {0x3c003c00u, 0x3c003c00u ^ blockIdx.x};
  float d[U][4] = {};
  const uint64_t c0 = clock64(), t0 = globaltimer();
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int u = 0; u < U; ++u)
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
          "{%8, %9}, {%0, %1, %2, %3};"
          : "+f"(d[u][0]), "+f"(d[u][1]), "+f"(d[u][2]), "+f"(d[u][3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
  const uint64_t c1 = clock64(), t1 = globaltimer();
  float s = 0.f;
#pragma unroll
  for (int u = 0; u < U; ++u) s += d[u][0] + d[u][1] + d[u][2] + d[u][3];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
  if (threadIdx.x == 0) {
    clk[2 * blockIdx.x] = c1 - c0;
    clk[2 * blockIdx.x + 1] = t1 - t0;
  }
}

// wgmma with A from registers. N = 8 / 16 / 32: N / 2 fp32 accumulators per thread.
template <int N>
struct Wgmma;
#define WG_HEAD(n) "wgmma.mma_async.sync.aligned.m64n" #n "k16.f32.f16.f16 "
template <>
struct Wgmma<8> {
  __device__ static void run(float (&d)[4], const uint32_t (&a)[4], uint64_t desc) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n" WG_HEAD(8)
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, %8, p, 1, 1, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc));
  }
};
template <>
struct Wgmma<16> {
  __device__ static void run(float (&d)[8], const uint32_t (&a)[4], uint64_t desc) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n" WG_HEAD(16)
                 "{%0, %1, %2, %3, %4, %5, %6, %7}, {%8, %9, %10, %11}, %12, p, 1, 1, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
                   "+f"(d[6]), "+f"(d[7])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc));
  }
};
template <>
struct Wgmma<32> {
  __device__ static void run(float (&d)[16], const uint32_t (&a)[4], uint64_t desc) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n" WG_HEAD(32)
                 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "
                 "{%16, %17, %18, %19}, %20, p, 1, 1, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
                   "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
                   "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc));
  }
};

// B: N rows (tokens) x 16 k, K-major, no swizzle: 8x8 core matrices of 128 contiguous bytes, the
// two along K 128 B apart (LBO), 8-row groups 256 B apart (SBO).
__device__ __forceinline__ uint64_t b_desc(uint32_t saddr) {
  uint64_t d = 0;
  d |= (saddr >> 4) & 0x3FFFu;
  d |= static_cast<uint64_t>(128 >> 4) << 16;
  d |= static_cast<uint64_t>(256 >> 4) << 32;
  return d;  // swizzle mode 0 (bits 62..63), base offset 0
}

template <int N, int U>
__global__ void wgmma_kernel(int iters, float* out, unsigned long long* clk) {
  __shared__ __align__(1024) uint16_t sb[4][32 * 16];  // one B per warpgroup (N <= 32)
  for (int i = threadIdx.x; i < 4 * 32 * 16; i += blockDim.x) (&sb[0][0])[i] = 0x3c00;
  __syncthreads();
  const int wg = threadIdx.x >> 7;
  const uint64_t desc = b_desc(static_cast<uint32_t>(__cvta_generic_to_shared(&sb[wg][0])));
  uint32_t a[4] = {0x3c003c00u ^ threadIdx.x, 0x3c003c00u, 0x3c003c00u, 0x3c003c00u};
  float d[U][N / 2] = {};
  const uint64_t c0 = clock64(), t0 = globaltimer();
  for (int it = 0; it < iters; ++it) {
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
#pragma unroll
    for (int u = 0; u < U; ++u) Wgmma<N>::run(d[u], a, desc);
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
  }
  const uint64_t c1 = clock64(), t1 = globaltimer();
  float s = 0.f;
#pragma unroll
  for (int u = 0; u < U; ++u)
#pragma unroll
    for (int i = 0; i < N / 2; ++i) s += d[u][i];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
  if (threadIdx.x == 0) {
    clk[2 * blockIdx.x] = c1 - c0;
    clk[2 * blockIdx.x + 1] = t1 - t0;
  }
}

template <typename K>
void measure(const char* name, K kernel, int warps, double flop_per_warp_iter, int iters, int sms,
             float* out, unsigned long long* clk) {
  kernel<<<sms, 32 * warps>>>(iters / 10, out, clk);  // warm-up
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  CK(cudaEventRecord(e0));
  kernel<<<sms, 32 * warps>>>(iters, out, clk);
  CK(cudaGetLastError());
  CK(cudaEventRecord(e1));
  CK(cudaEventSynchronize(e1));
  float ms = 0.f;
  CK(cudaEventElapsedTime(&ms, e0, e1));
  unsigned long long h[2];
  CK(cudaMemcpy(h, clk, sizeof(h), cudaMemcpyDeviceToHost));
  const double ghz = double(h[0]) / double(h[1]);
  const double flop = flop_per_warp_iter * warps * double(iters) * sms;
  const double per_sm_cycle = flop_per_warp_iter * warps * double(iters) / double(h[0]);
  std::printf("%-34s warps %2d  %8.1f TFLOP/s  %7.1f FLOP/SM/cycle  (%.3f GHz, %.2f ms)\n", name,
              warps, flop / (ms * 1e-3) / 1e12, per_sm_cycle, ghz, ms);
}

int main() {
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("GPU: %s, %d SMs\n", prop.name, sms);
  float* out;
  unsigned long long* clk;
  CK(cudaMalloc(&out, sizeof(float) * sms * 1024));
  CK(cudaMalloc(&clk, sizeof(unsigned long long) * 2 * sms));
  const int it = 20000;
  const double mma = 2.0 * 16 * 8 * 16;  // FLOP per mma.sync m16n8k16 (per warp)
  measure("mma.sync m16n8k16 U=1", mma_sync_kernel<1>, 4, mma * 1, it, sms, out, clk);
  measure("mma.sync m16n8k16 U=2", mma_sync_kernel<2>, 4, mma * 2, it, sms, out, clk);
  measure("mma.sync m16n8k16 U=4", mma_sync_kernel<4>, 4, mma * 4, it, sms, out, clk);
  measure("mma.sync m16n8k16 U=4", mma_sync_kernel<4>, 8, mma * 4, it, sms, out, clk);
  measure("mma.sync m16n8k16 U=4", mma_sync_kernel<4>, 12, mma * 4, it, sms, out, clk);
  measure("mma.sync m16n8k16 U=8", mma_sync_kernel<8>, 12, mma * 8, it, sms, out, clk);
  measure("mma.sync m16n8k16 U=8", mma_sync_kernel<8>, 16, mma * 8, it, sms, out, clk);
  // wgmma: FLOP per warp = a quarter of the warpgroup's m64nNk16.
  auto wf = [](int n) { return 2.0 * 64 * n * 16 / 4; };
  measure("wgmma m64n8k16 RS U=4", wgmma_kernel<8, 4>, 4, wf(8) * 4, it, sms, out, clk);
  measure("wgmma m64n8k16 RS U=8", wgmma_kernel<8, 8>, 8, wf(8) * 8, it, sms, out, clk);
  measure("wgmma m64n16k16 RS U=1", wgmma_kernel<16, 1>, 4, wf(16) * 1, it, sms, out, clk);
  measure("wgmma m64n16k16 RS U=2", wgmma_kernel<16, 2>, 4, wf(16) * 2, it, sms, out, clk);
  measure("wgmma m64n16k16 RS U=4", wgmma_kernel<16, 4>, 4, wf(16) * 4, it, sms, out, clk);
  measure("wgmma m64n16k16 RS U=4", wgmma_kernel<16, 4>, 8, wf(16) * 4, it, sms, out, clk);
  measure("wgmma m64n16k16 RS U=4", wgmma_kernel<16, 4>, 12, wf(16) * 4, it, sms, out, clk);
  measure("wgmma m64n16k16 RS U=8", wgmma_kernel<16, 8>, 8, wf(16) * 8, it, sms, out, clk);
  measure("wgmma m64n32k16 RS U=4", wgmma_kernel<32, 4>, 8, wf(32) * 4, it, sms, out, clk);
  measure("wgmma m64n32k16 RS U=4", wgmma_kernel<32, 4>, 12, wf(32) * 4, it, sms, out, clk);
  CK(cudaFree(out));
  CK(cudaFree(clk));
  return 0;
}
