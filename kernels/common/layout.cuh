// layout.cuh — packed weight layout v2, the one storage every kernel family reads (docs/LAYOUT.md).
//
// W is [N, K] signed int4 (nibble = q - 8 in two's complement = q ^ 8), N % 16 == 0, K % 64 == 0.
// It is stored as tiles of 16 rows x 64 k = 512 bytes; tile (nb, kb) (rows 16nb.., k 64kb..) sits
// at byte 512 * (nb * K/64 + kb): the K/64 tiles of a 16-row block follow each other, so a
// 16-row block is ONE contiguous stream of 8*K bytes (a warp's 16-byte loads cover 512
// contiguous bytes).
// Inside a tile, 32 "slots" of 16 bytes: slot s = 4g + c (g = 0..7, c = 0..3) at byte 16s holds
// the 32 weights lane s of a warp owns in the A fragments of four mma.m16n8k16 (k16 sub-blocks
// j = 0..3), rows r0 = 16nb + g and r1 = r0 + 8. 32-bit word j of the slot (little endian,
// nibble i = bits 4i..4i+3), with ka = 64kb + 16j + 2c and kc = ka + 8:
//     nibble 0: (r0, ka)    nibble 4: (r0, ka + 1)     -> pair 0 = A-fragment a0a1
//     nibble 1: (r1, ka)    nibble 5: (r1, ka + 1)     -> pair 1 = a2a3
//     nibble 2: (r0, kc)    nibble 6: (r0, kc + 1)     -> pair 2 = a4a5
//     nibble 3: (r1, kc)    nibble 7: (r1, kc + 1)     -> pair 3 = a6a7
// int4x8_to_pairs (int4.cuh) turns a word into pairs (nibble i, nibble i+4), i = 0..3, i.e. into
// the four A-fragment registers in order; the same function is CUTLASS's wgmma register fragment
// (each warp's 16 rows) with value order [0,2,4,6,1,3,5,7] — kernels/sm90 reads this storage
// through the cute layout kLayoutAtom below.
#pragma once

#include <cstdint>

namespace w4a16 {
namespace layout {

constexpr int kTileRows = 16;
constexpr int kTileK = 64;
constexpr int kTileBytes = kTileRows * kTileK / 2;  // 512
constexpr int kSlotBytes = 16;

// Byte offset of tile (nb, kb) in a packed [N, K] matrix.
__host__ __device__ __forceinline__ int64_t tile_offset(int64_t nb, int64_t kb, int64_t k) {
  return kTileBytes * (nb * (k / kTileK) + kb);
}

// Byte offset of the 16-byte slot `s` (= 4g + c) of the tile holding row n (any row of the tile)
// and k-tile kb.
__host__ __device__ __forceinline__ int64_t slot_offset(int64_t n, int64_t kb, int s, int64_t k) {
  return tile_offset(n / kTileRows, kb, k) + kSlotBytes * s;
}

// Position of weight (n, k) (k-index kk in a [N, K] matrix): byte offset and nibble (0 = low).
// Host/device reference of the mapping above, for packers and tests — not for hot loops.
__host__ __device__ __forceinline__ void weight_position(int64_t n, int64_t kk, int64_t k,
                                                          int64_t* byte, int* high_nibble) {
  const int64_t nb = n / 16, kb = kk / 64;
  const int r = static_cast<int>(n % 16), in = static_cast<int>(kk % 64);
  const int g = r % 8, h = r / 8;
  const int j = in / 16, c = (in % 8) / 2, e = (in % 16) / 8, odd = in % 2;
  const int nibble = 4 * odd + h + 2 * e;  // 0..7 within word j
  const int64_t elem = 2 * tile_offset(nb, kb, k) + 32 * (4 * g + c) + 8 * j + nibble;
  *byte = elem / 2;
  *high_nibble = static_cast<int>(elem % 2);
}

}  // namespace layout
}  // namespace w4a16
