// int4.cuh — device helpers shared by the kernels: int4 -> fp16/bf16 conversion, dtype traits,
// small vector utilities.
//
// Packed layout v2 (common/layout.cuh, docs/LAYOUT.md): each nibble is the signed int4 value q-8
// in two's complement (the bit pattern q ^ 8); a little-endian 32-bit word holds 8 weights in
// nibbles 0..7 (bits 4i..4i+3), arranged so that nibbles (i, i+4) form the register pair i of a
// tensor-core fragment (see int4x8_to_pairs).
#ifndef W4A16_KERNELS_COMMON_INT4_CUH
#define W4A16_KERNELS_COMMON_INT4_CUH

#include <stdint.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include <type_traits>

namespace w4a16 {

// lop3.b32 with an explicit truth table: ptxas does not always find the single LOP3 for a
// mask-then-xor written in C++.
template <int kLut>
__device__ __forceinline__ uint32_t lop3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t d;
  asm("lop3.b32 %0, %1, %2, %3, %4;" : "=r"(d) : "r"(a), "r"(b), "r"(c), "n"(kLut));
  return d;
}

// Per-dtype constants and conversions.
//   T   : the scalar element type (half or __nv_bfloat16).
//   T2  : its packed pair type.
//   kMagicXor : bits that, xor'ed onto a 32-bit word whose halves each hold one nibble in bits
//               0..3, turn each half into the dtype value base + (nibble ^ 8) = base + q, with
//               base = 1024 (fp16) or 128 (bf16): the exponent at which one ulp is 1.
//   kMagicSub : the bits of the pair (base + 8, base + 8); subtracting it gives q - 8 exactly.
//               It happens to equal kMagicXor for both types (0x6408 = 1032, 0x4308 = 136).
template <typename T>
struct DtypeTraits;

template <>
struct DtypeTraits<half> {
  using T2 = half2;
  static constexpr uint32_t kMagicXor = 0x64086408u;
  static constexpr uint32_t kMagicSub = 0x64086408u;
  __device__ __forceinline__ static float to_float(half x) { return __half2float(x); }
  __device__ __forceinline__ static float2 to_float2(half2 x) { return __half22float2(x); }
  __device__ __forceinline__ static half from_float(float x) { return __float2half_rn(x); }
  __device__ __forceinline__ static half2 from_float2(float a, float b) {
    return __floats2half2_rn(a, b);
  }
  // (x, x) from the raw 16 bits; folds into the consumer's .H0_H0 operand (no instruction).
  __device__ __forceinline__ static half2 splat(uint16_t raw) {
    return __half2half2(__ushort_as_half(raw));
  }
  // A pair's low / high half in both halves.
  __device__ __forceinline__ static half2 lo_splat(half2 v) { return __low2half2(v); }
  __device__ __forceinline__ static half2 hi_splat(half2 v) { return __high2half2(v); }
};

template <>
struct DtypeTraits<__nv_bfloat16> {
  using T2 = __nv_bfloat162;
  static constexpr uint32_t kMagicXor = 0x43084308u;
  static constexpr uint32_t kMagicSub = 0x43084308u;
  __device__ __forceinline__ static float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
  __device__ __forceinline__ static float2 to_float2(__nv_bfloat162 x) {
    return __bfloat1622float2(x);
  }
  __device__ __forceinline__ static __nv_bfloat16 from_float(float x) {
    return __float2bfloat16_rn(x);
  }
  __device__ __forceinline__ static __nv_bfloat162 from_float2(float a, float b) {
    return __floats2bfloat162_rn(a, b);
  }
  __device__ __forceinline__ static __nv_bfloat162 splat(uint16_t raw) {
    return __bfloat162bfloat162(__ushort_as_bfloat16(raw));
  }
  __device__ __forceinline__ static __nv_bfloat162 lo_splat(__nv_bfloat162 v) {
    return __low2bfloat162(v);
  }
  __device__ __forceinline__ static __nv_bfloat162 hi_splat(__nv_bfloat162 v) {
    return __high2bfloat162(v);
  }
};

// k -> group index as a shift: group_size is 32, 64, 128 (k >> 5/6/7) or K itself (every k < K is
// in group 0: k >> 31). Returns -1 for anything else, which launchers reject.
inline int group_shift(int64_t group_size, int64_t k) {
  if (group_size == k) return 31;
  for (int s = 5; s <= 30; ++s)
    if (group_size == (int64_t{1} << s)) return s;
  return -1;
}

// Bit casts between a 32-bit word and a packed pair (no conversion).
template <typename T2>
__device__ __forceinline__ T2 as_pair(uint32_t x) {
  static_assert(sizeof(T2) == 4, "pair type must be 32 bits");
  T2 r;
  __builtin_memcpy(&r, &x, 4);
  return r;
}
template <typename T2>
__device__ __forceinline__ uint32_t as_u32(T2 x) {
  static_assert(sizeof(T2) == 4, "pair type must be 32 bits");
  uint32_t r;
  __builtin_memcpy(&r, &x, 4);
  return r;
}

// Eight signed int4 (one packed word) -> four pairs of T holding q-8 exactly.
//   T : half or __nv_bfloat16.
// out[j] = (nibble j, nibble j+4): the mask 0x000F000F picks nibble j into the low half and nibble
// j+4 into the high half, which costs one shift + one lop3 per pair. In packed layout v2 these are
// the A-fragment registers a0a1, a2a3, a4a5, a6a7 of mma.m16n8k16 in order.
template <typename T>
__device__ __forceinline__ void int4x8_to_pairs(uint32_t w,
                                                typename DtypeTraits<T>::T2 (&out)[4]) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  // (a & b) ^ c  <=>  truth table (0xF0 & 0xCC) ^ 0xAA = 0x6A.
  constexpr int kAndXor = 0x6A;
  const T2 sub = as_pair<T2>(Tr::kMagicSub);
  out[0] = __hsub2(as_pair<T2>(lop3<kAndXor>(w, 0x000F000Fu, Tr::kMagicXor)), sub);
  out[1] = __hsub2(as_pair<T2>(lop3<kAndXor>(w >> 4, 0x000F000Fu, Tr::kMagicXor)), sub);
  out[2] = __hsub2(as_pair<T2>(lop3<kAndXor>(w >> 8, 0x000F000Fu, Tr::kMagicXor)), sub);
  out[3] = __hsub2(as_pair<T2>(lop3<kAndXor>(w >> 12, 0x000F000Fu, Tr::kMagicXor)), sub);
}

// int4x8_to_pairs with fewer instructions for fp16, same results: the odd nibbles are masked in
// place (bits 4..7 of each half read as 1024 + 16 q') and one HFMA2 makes (1024 + 16 q') / 16 - 72
// = q' - 8, exact; one shift per word instead of three. It holds two more constants in registers,
// which is why the register-tight mma.sync kernel keeps int4x8_to_pairs (it spilled with this).
// bf16 (7 mantissa bits) cannot hold 128 + 16 q' exactly and uses int4x8_to_pairs.
template <typename T>
__device__ __forceinline__ void int4x8_to_pairs_hfma(uint32_t w,
                                                     typename DtypeTraits<T>::T2 (&out)[4]) {
  if constexpr (std::is_same<T, half>::value) {
    constexpr int kAndXor = 0x6A;
    constexpr uint32_t kHiXor = 0x64806480u;
    const half2 sub = as_pair<half2>(DtypeTraits<half>::kMagicSub);
    const half2 sixteenth = __half2half2(__ushort_as_half(0x2C00));  // 1/16
    const half2 minus72 = __half2half2(__ushort_as_half(0xD480));    // -72
    const uint32_t w8 = w >> 8;
    out[0] = __hsub2(as_pair<half2>(lop3<kAndXor>(w, 0x000F000Fu, DtypeTraits<half>::kMagicXor)), sub);
    out[1] = __hfma2(as_pair<half2>(lop3<kAndXor>(w, 0x00F000F0u, kHiXor)), sixteenth, minus72);
    out[2] = __hsub2(as_pair<half2>(lop3<kAndXor>(w8, 0x000F000Fu, DtypeTraits<half>::kMagicXor)), sub);
    out[3] = __hfma2(as_pair<half2>(lop3<kAndXor>(w8, 0x00F000F0u, kHiXor)), sixteenth, minus72);
  } else {
    int4x8_to_pairs<T>(w, out);
  }
}

// Reorders int4x8_to_pairs' output into natural k order: out[i] = (k0+2i, k0+2i+1), as 32-bit words
// ready to be stored as 8 consecutive elements. The pair's low 16 bits are the lower k.
template <typename T>
__device__ __forceinline__ void pairs_to_natural(const typename DtypeTraits<T>::T2 (&p)[4],
                                                 uint32_t (&out)[4]) {
  const uint32_t p0 = as_u32(p[0]), p1 = as_u32(p[1]), p2 = as_u32(p[2]), p3 = as_u32(p[3]);
  out[0] = __byte_perm(p0, p1, 0x5410);  // (k0, k1) = (lo p0, lo p1)
  out[1] = __byte_perm(p2, p3, 0x5410);  // (k2, k3) = (lo p2, lo p3)
  out[2] = __byte_perm(p0, p1, 0x7632);  // (k4, k5) = (hi p0, hi p1)
  out[3] = __byte_perm(p2, p3, 0x7632);  // (k6, k7) = (hi p2, hi p3)
}

// Eight signed int4 -> eight fp32 values q-8, out[i] = nibble i. Exact.
//   T : the dtype whose magic is used for the intermediate (either works; the caller's dtype keeps
//       one code path per instantiation).
template <typename T>
__device__ __forceinline__ void int4x8_to_float(uint32_t w, float (&out)[8]) {
  using Tr = DtypeTraits<T>;
  typename Tr::T2 p[4];
  int4x8_to_pairs<T>(w, p);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float2 f = Tr::to_float2(p[j]);
    out[j] = f.x;
    out[j + 4] = f.y;
  }
}

// Eight dtype values packed in a uint4 (natural order) -> fp32.
//   T : half or __nv_bfloat16.
template <typename T>
__device__ __forceinline__ void dtype8_to_float(const uint4& v, float (&out)[8]) {
  using Tr = DtypeTraits<T>;
  using T2 = typename Tr::T2;
  const float2 f0 = Tr::to_float2(as_pair<T2>(v.x));
  const float2 f1 = Tr::to_float2(as_pair<T2>(v.y));
  const float2 f2 = Tr::to_float2(as_pair<T2>(v.z));
  const float2 f3 = Tr::to_float2(as_pair<T2>(v.w));
  out[0] = f0.x; out[1] = f0.y; out[2] = f1.x; out[3] = f1.y;
  out[4] = f2.x; out[5] = f2.y; out[6] = f3.x; out[7] = f3.y;
}

// Raw 16-bit load of one dtype element, returned as fp32.
template <typename T>
__device__ __forceinline__ float load_as_float(const T* p) {
  return DtypeTraits<T>::to_float(*p);
}

// 16-byte read-only load that does not allocate in L1: weights are streamed once per CTA, and L1
// is better kept for the activations every warp re-reads.
__device__ __forceinline__ uint4 ldg_stream_128(const void* p) {
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}
// The same load as a volatile asm, for loads meant to be issued before a grid_dependency_wait():
// it keeps the front end from sinking them past the wait, but ptxas still schedules some after
// it (SASS of cfg0: 0-5 of its 8 prologue loads stay ahead), which is why cfg0 also starts bulk
// L2 prefetches of the same bytes before the wait.
__device__ __forceinline__ uint4 ldg_stream_128_ordered(const void* p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

// 16-byte read-only load through L1 (activations: re-read by every warp of the CTA).
__device__ __forceinline__ uint4 ldg_128(const void* p) {
  return __ldg(reinterpret_cast<const uint4*>(p));
}

}  // namespace w4a16

#endif  // W4A16_KERNELS_COMMON_INT4_CUH
