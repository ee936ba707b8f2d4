/*
 * half_util.h — host helpers shared by the C examples: float <-> fp16 / bf16 bit conversions
 * (round to nearest, ties to even) and a small deterministic random number generator.
 * Static inline functions only; valid C11 and C++17.
 */
#ifndef W4A16_EXAMPLES_HALF_UTIL_H
#define W4A16_EXAMPLES_HALF_UTIL_H

#include <stdint.h>
#include <string.h>

static inline uint32_t hu_float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float hu_bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* float -> IEEE fp16 bits, round to nearest even; overflow -> inf, NaN stays NaN. */
static inline uint16_t hu_float_to_fp16(float f) {
    uint32_t x = hu_float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) { /* inf or NaN (keep NaN quiet and non-zero) */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x0200u | ((ax >> 13) & 0x3ffu) : 0u));
    }
    if (ax >= 0x477ff000u) { /* >= 65520 rounds to inf */
        return (uint16_t)(sign | 0x7c00u);
    }
    uint32_t e = ax >> 23;
    if (ax >= 0x38800000u) { /* normal fp16 (>= 2^-14) */
        uint32_t mant = ax & 0x7fffffu;
        uint32_t h = ((e - 127u + 15u) << 10) | (mant >> 13);
        uint32_t rest = mant & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) {
            h++; /* a carry into the exponent is the right result */
        }
        return (uint16_t)(sign | h);
    }
    if (e < 102u) { /* below half the smallest subnormal: +-0 */
        return (uint16_t)sign;
    }
    /* fp16 subnormal: value / 2^-24, rounded */
    uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - e; /* 14 .. 24 */
    uint32_t h = mant >> shift;
    uint32_t rest = mant & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (h & 1u))) {
        h++;
    }
    return (uint16_t)(sign | h);
}

/* IEEE fp16 bits -> float (exact). */
static inline float hu_fp16_to_float(uint16_t h) {
    uint32_t sign = ((uint32_t)h & 0x8000u) << 16;
    uint32_t e = ((uint32_t)h >> 10) & 0x1fu;
    uint32_t m = (uint32_t)h & 0x3ffu;
    if (e == 0u) { /* zero or subnormal: m * 2^-24 */
        float v = (float)m * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    if (e == 31u) {
        return hu_bits_float(sign | 0x7f800000u | (m << 13));
    }
    return hu_bits_float(sign | ((e + 112u) << 23) | (m << 13));
}

/* float -> bfloat16 bits, round to nearest even; NaN stays NaN. */
static inline uint16_t hu_float_to_bf16(float f) {
    uint32_t x = hu_float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        return (uint16_t)((x >> 16) | 0x0040u);
    }
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

/* bfloat16 bits -> float (exact). */
static inline float hu_bf16_to_float(uint16_t b) {
    return hu_bits_float((uint32_t)b << 16);
}

/* Either 16-bit type: bf16 != 0 selects bfloat16, else fp16. */
static inline uint16_t hu_from_float(int bf16, float f) {
    return bf16 ? hu_float_to_bf16(f) : hu_float_to_fp16(f);
}

static inline float hu_to_float(int bf16, uint16_t bits) {
    return bf16 ? hu_bf16_to_float(bits) : hu_fp16_to_float(bits);
}

/* splitmix64: a tiny, deterministic generator (not for cryptography). */
typedef struct {
    uint64_t state;
} hu_rng;

static inline uint64_t hu_rng_next(hu_rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform float in [lo, hi). */
static inline float hu_rng_uniform(hu_rng *r, float lo, float hi) {
    float u = (float)(hu_rng_next(r) >> 40) * (1.0f / 16777216.0f); /* 24 bits: [0, 1) */
    return lo + (hi - lo) * u;
}

#endif /* W4A16_EXAMPLES_HALF_UTIL_H */
