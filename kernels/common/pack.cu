// pack.cu — plain weights -> packed layout v2 on the device (kernels/common/layout.cuh).
// Plain: bytes [N, K/2], low nibble = even k, unsigned q. Packed: 16x64 tiles of 32 slots; slot
// 4g + c, word j holds rows g, g+8 at k = 64kb + 16j + 2c (+1) and +8 (+1), each nibble q ^ 8
// (= q - 8 as two's-complement int4). One thread writes one 16-byte slot; it reads the 32 plain
// bytes of each of its two rows in the tile's k range (the four threads of a c-quad share them
// through L1), so all global accesses are 16-byte.
#include <cuda_runtime.h>

#include "common/layout.cuh"
#include "launch.h"

namespace {

__device__ __forceinline__ uint32_t byte_of(const uint4 (&v)[2], int i) {
  const uint4& q = v[i >> 4];
  const uint32_t w = (i & 15) < 4 ? q.x : (i & 15) < 8 ? q.y : (i & 15) < 12 ? q.z : q.w;
  return (w >> (8 * (i & 3))) & 0xFFu;
}

__global__ void __launch_bounds__(256) pack_kernel(const uint8_t* __restrict__ plain,
                                                   uint4* __restrict__ packed, int64_t n,
                                                   int64_t k) {
  using namespace w4a16::layout;
  const int64_t slots = n * (k / 2) / kSlotBytes;
  const int64_t k_tiles = k / kTileK;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < slots;
       i += stride) {
    const int64_t tile = i / 32;
    const int s = static_cast<int>(i % 32), g = s / 4, c = s % 4;
    const int64_t nb = tile / k_tiles, kb = tile % k_tiles;
    // The tile's 32 plain bytes (64 k) of rows g and g + 8.
    uint4 r0[2], r1[2];
    const uint8_t* p0 = plain + (kTileRows * nb + g) * (k / 2) + kb * (kTileK / 2);
    const uint8_t* p1 = p0 + 8 * (k / 2);
    r0[0] = __ldg(reinterpret_cast<const uint4*>(p0));
    r0[1] = __ldg(reinterpret_cast<const uint4*>(p0) + 1);
    r1[0] = __ldg(reinterpret_cast<const uint4*>(p1));
    r1[1] = __ldg(reinterpret_cast<const uint4*>(p1) + 1);
    uint32_t out[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int ka = 8 * j + c;  // plain byte of k = 16j + 2c (and k+1) within the tile
      const uint32_t b0 = byte_of(r0, ka), b1 = byte_of(r1, ka);
      const uint32_t b2 = byte_of(r0, ka + 4), b3 = byte_of(r1, ka + 4);
      // Nibbles 0..3: even k of (row g, ka), (g+8, ka), (g, ka+8), (g+8, ka+8); 4..7: odd k.
      const uint32_t lo = (b0 & 0xF) | (b1 & 0xF) << 4 | (b2 & 0xF) << 8 | (b3 & 0xF) << 12;
      const uint32_t hi = (b0 >> 4) | (b1 >> 4) << 4 | (b2 >> 4) << 8 | (b3 >> 4) << 12;
      out[j] = (lo | hi << 16) ^ 0x88888888u;
    }
    packed[i] = make_uint4(out[0], out[1], out[2], out[3]);
  }
}

}  // namespace

extern "C" cudaError_t w4a16k_pack(const uint8_t* plain, uint8_t* packed, int64_t n, int64_t k,
                                   cudaStream_t stream) {
  // N % 64 == 0 and K % 64 == 0 (checked by the caller): whole tiles, 16-byte aligned rows.
  const int64_t slots = n * (k / 2) / 16;
  if (slots <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  // Enough CTAs to fill any current GPU several times over; the loop covers the rest.
  const int64_t want = (slots + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(want < 8192 ? want : 8192);
  pack_kernel<<<blocks, kThreads, 0, stream>>>(plain, reinterpret_cast<uint4*>(packed), n, k);
  return cudaGetLastError();
}
