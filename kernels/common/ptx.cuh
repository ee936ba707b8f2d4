// ptx.cuh — thin wrappers over the PTX of the tensor-core kernels (cp.async, ldmatrix, mma.sync).
#ifndef W4A16_KERNELS_COMMON_PTX_CUH
#define W4A16_KERNELS_COMMON_PTX_CUH

#include <stdint.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

namespace w4a16 {

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Where a cp.async copy is cached: kL2 (.cg) bypasses L1, for data a CTA reads once (weights);
// kL1 (.ca) keeps it in L1 too, for data the CTAs sharing an SM re-read (activations: the
// GEMVs' L2-only activation copies measured 0.68-0.99x, bench/NOTES.md session 9).
enum class CpCache { kL2, kL1 };
// 16-byte global -> shared copy. src_bytes == 0 reads nothing and zero-fills the destination
// (rows past M); src must still be a valid address for the instruction encoding.
template <CpCache kCache = CpCache::kL2>
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, uint32_t src_bytes) {
  if constexpr (kCache == CpCache::kL1) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
                 "r"(src_bytes)
                 : "memory");
  } else {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
                 "r"(src_bytes)
                 : "memory");
  }
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

// Programmatic dependent launch (PDL, sm_90). A kernel launched with the programmatic stream
// serialization attribute (launch_util.cuh: launch_kernel) may start before the kernel ahead of it
// in the stream has finished; grid_dependency_wait() blocks until that kernel has completed and
// its memory is visible, so everything the previous kernel may write (activations, the output,
// the workspace) is touched only after it. Launched without the attribute it returns at once.
// allow_dependent_launch() lets the next PDL-launched kernel start once every CTA of this grid has
// called it (or exited); it is called only after grid_dependency_wait(), so a dependent's early
// reads never run beside a kernel further back in the stream.
__device__ __forceinline__ void grid_dependency_wait() {
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
}
__device__ __forceinline__ void allow_dependent_launch() {
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
}
// Asks the TMA unit to bring `bytes` (a multiple of 16; p 16-byte aligned) of global memory into
// L2, with nothing returned: one instruction starts a whole contiguous range.
__device__ __forceinline__ void prefetch_l2_bulk(const void* p, uint32_t bytes) {
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(p), "r"(bytes) : "memory");
}

// Two 8x8 b16 matrices: lanes 0..15 supply the row addresses (lane i: row i % 8 of matrix i / 8),
// register j receives matrix j's (row lane / 4, columns 2 (lane % 4) + {0, 1}).
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(addr));
}
// Four 8x8 b16 matrices; lane i supplies the address of row (i % 8) of matrix (i / 8), and
// register j receives matrix j's (row lane/4, columns 2*(lane%4) + {0,1}).
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// D = A·B + D, m16n8k16, fp32 accumulators. T selects the f16 or bf16 input variant.
//   a[0..3] = {a0a1, a2a3, a4a5, a6a7}, b[0..1] = {b0b1, b2b3}, d[0..3] = {c0, c1, c2, c3}
// (fragment layouts are spelled out in mma/mma.cu where they are produced).
template <typename T>
__device__ __forceinline__ void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4],
                                             const uint32_t (&b)[2]);

template <>
__device__ __forceinline__ void mma_m16n8k16<half>(float (&d)[4], const uint32_t (&a)[4],
                                                   const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

template <>
__device__ __forceinline__ void mma_m16n8k16<__nv_bfloat16>(float (&d)[4], const uint32_t (&a)[4],
                                                            const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

}  // namespace w4a16

#endif  // W4A16_KERNELS_COMMON_PTX_CUH
